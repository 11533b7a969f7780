"""Who may do what at the console. The server checks every request against this table; the
templates only hide what the server would refuse anyway."""

from __future__ import annotations

from gateway.store.users import ROLES

OFFICER, TECHNICIAN, ADMIN, PARTNER = ROLES

PERMISSIONS: dict[str, frozenset[str]] = {
    "feed": frozenset({OFFICER, ADMIN}),  # alerts, their texts, the alert page
    "alerts.seen": frozenset({OFFICER, ADMIN}),
    "voice": frozenset({OFFICER, ADMIN}),  # type an alert heard by voice
    "map": frozenset({OFFICER, ADMIN}),
    # incidents: technicians read them without message texts, notes or names
    "incidents": frozenset({OFFICER, TECHNICIAN, ADMIN}),
    "incidents.write": frozenset({OFFICER, ADMIN}),  # seen, responding, closed, merge, split
    "broadcast": frozenset({OFFICER, ADMIN}),  # compose, preview, follow a broadcast
    "broadcast.send": frozenset({OFFICER, ADMIN}),  # send, cancel
    "broadcast.force": frozenset({ADMIN}),  # send over the daily SMS budget
    "network": frozenset({OFFICER, TECHNICIAN, ADMIN}),  # silence watch, coverage
    "network.names": frozenset({OFFICER, ADMIN}),  # who is silent, by name
    "registry": frozenset({OFFICER, TECHNICIAN, ADMIN}),  # numbers masked but for admins
    "registry.write": frozenset({ADMIN}),
    "numbers": frozenset({ADMIN}),  # full phone numbers and callsigns
    "health": frozenset({OFFICER, TECHNICIAN, ADMIN}),  # links, queues, disk, last errors
    "audit": frozenset({ADMIN}),
    "wipe": frozenset({ADMIN}),  # the emergency wipe, the password asked again
    "cap": frozenset({OFFICER, ADMIN, PARTNER}),  # the CAP Atom feed (base and headquarters)
}


def allowed(role: str, permission: str) -> bool:
    return role in PERMISSIONS[permission]
