"""Alerts and focal points as a page may show them to one user: the server decides what leaves
it (a number in full only for those allowed), so no template can show more."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from gateway.alerts.codes import CodeBook
from gateway.console.privacy import shown_identity
from gateway.console.roles import allowed
from gateway.model import FocalPoint
from gateway.store import Store
from gateway.store import incidents as incident_store
from gateway.store import registry as reg
from gateway.store import seen as seen_store
from gateway.store.alerts import AlertRow
from gateway.store.users import User

ALARMING = ("Extreme", "Severe")


@dataclass(frozen=True)
class AlertView:
    id: int
    ref: str
    received_at: float
    channel: str
    code: str | None
    label: str | None  # the code's words in the user's language
    severity: str
    village: str | None
    village_number: int | None
    count: int | None
    text: str
    sender_name: str | None  # the focal point's name, when registered
    sender: str | None  # masked unless the user may see numbers
    registered: bool
    repeats: int
    parts: int
    seen_at: float | None
    entered_by: str | None
    via: str | None
    incident: str | None = None  # its incident's reference

    @property
    def alarming(self) -> bool:
        return self.severity in ALARMING

    @property
    def unparsed(self) -> bool:
        return self.code is None and self.label is None


def alert_views(store: Store, alerts: Sequence[AlertRow], user: User, codebook: CodeBook,
                country_code: str) -> list[AlertView]:
    full = allowed(user.role, "numbers")
    seen = seen_store.seen_many(store.db, [a.id for a in alerts])
    incidents = incident_store.refs_of(store.db, [a.id for a in alerts])
    names: dict[str, FocalPoint | None] = {}
    views = []
    for alert in alerts:
        if alert.sender and alert.sender not in names:
            names[alert.sender] = reg.focal_point(store, alert.sender)
        focal = names.get(alert.sender) if alert.sender else None
        code = codebook.codes.get(alert.code) if alert.code else None
        label = code.label(user.language) if code else (
            alert.category.replace("_", " ") if alert.category else None)
        views.append(AlertView(
            alert.id, alert.ref, alert.received_at, alert.channel, alert.code, label,
            alert.severity, alert.village_name, alert.village_number, alert.count, alert.text,
            focal.name if focal else None, shown_identity(alert.sender, full, country_code),
            bool(alert.registered), alert.repeats, alert.parts,
            seen[alert.id][0] if alert.id in seen else None, alert.entered_by, alert.via,
            incidents.get(alert.id)))
    return views


@dataclass(frozen=True)
class FocalView:
    id: int
    name: str
    phone: str | None
    callsign: str | None
    village: str | None
    language: str | None
    call_meaning: str | None
    keypad: bool


def focal_views(points: Sequence[tuple[int, FocalPoint]], village_names: dict[int, str],
                user: User, country_code: str) -> list[FocalView]:
    full = allowed(user.role, "numbers")
    return [FocalView(focal_id, p.name, shown_identity(p.phone, full, country_code),
                      shown_identity(p.callsign, full, country_code),
                      village_names.get(p.village) if p.village is not None else None,
                      p.language, p.call_meaning, p.keypad)
            for focal_id, p in points]
