"""Where the network is thin: the network report at the base, and the daily aggregate that
headquarters receives (counts only: no names, numbers or pseudonyms; women and youth counted
by zone, and only where the zone has enough focal points that a count does not point at one
person).
"""

from __future__ import annotations

import json
from dataclasses import dataclass

from sqlite_utils import Database

from gateway.alerts.codes import PRIORITY
from gateway.alerts.payload import SCHEMA_VERSION
from gateway.config import Config
from gateway.store import Store, outbox, silences
from gateway.store import incidents as incident_store
from gateway.store import network as network_store
from gateway.store import registry as reg
from gateway.store.network import DAY
from gateway.timeutil import iso_utc

TOPIC = "network"
LAST_PUBLISHED = "network_published_day"
MIN_GROUP = 5  # fewer focal points than this in a zone: its women and youth are not published
SUMMED = ("focal_points", "women", "youth", "active_focal_points", "reports_30d", "reports_90d",
          "closed_after_response", "closed_without_response", "false_alarms")
NO_ZONE = "(no zone)"


def _silent(heard: float | None, config: Config, now: float) -> bool:
    return heard is None or now - heard > config.triage.silent_days * DAY


def silent_villages(db: Database, config: Config, now: float) -> set[int]:
    """The villages not heard from for more than `silent_days` (the map's rings): the report's
    `silent` without working out the rest of the report."""
    heard = silences.last_heard(db, silences.VILLAGE)
    return {number for number, in db.execute("SELECT number FROM villages")
            if _silent(heard.get(number), config, now)}


def network_report(db: Database, config: Config, now: float) -> dict:
    """Per village and per zone: focal points, women, youth, active ones, last heard, reports
    in 30 and 90 days, how incidents ended; villages without an active focal point, and those
    silent for more than `silent_days`."""
    settings = config.triage
    villages = network_store.village_figures(db, now, settings.active_days, settings.routine)
    for village in villages:
        village["silent"] = _silent(village["last_heard_at"], config, now)
    zones: dict[str, dict] = {}
    for village in villages:
        zone = zones.setdefault(village["zone"] or NO_ZONE, {
            "zone": village["zone"] or NO_ZONE, "villages": 0, **dict.fromkeys(SUMMED, 0),
            "villages_without_active_focal_point": 0, "villages_silent": 0,
            "last_heard_at": None})
        zone["villages"] += 1
        for key in SUMMED:
            zone[key] += village[key]
        zone["villages_without_active_focal_point"] += not village["active_focal_points"]
        zone["villages_silent"] += village["silent"]
        if village["last_heard_at"] is not None:
            zone["last_heard_at"] = max(zone["last_heard_at"] or 0, village["last_heard_at"])
    return {"generated_at": now, "active_days": settings.active_days,
            "silent_days": settings.silent_days, "villages": villages,
            "zones": sorted(zones.values(), key=lambda z: z["zone"]),
            "without_active_focal_point": [v["number"] for v in villages
                                           if not v["active_focal_points"]],
            "silent": [v["number"] for v in villages if v["silent"]]}


def network_aggregate(report: dict, base_id: str) -> dict:
    """The daily figures for headquarters (README, "Network aggregate")."""
    def zone_figures(zone: dict) -> dict:
        small = zone["focal_points"] < MIN_GROUP
        return {**{k: v for k, v in zone.items() if k not in ("women", "youth")},
                "last_heard_at": iso_utc(zone["last_heard_at"]),
                "women": None if small else zone["women"],
                "youth": None if small else zone["youth"]}

    return {
        "schema": SCHEMA_VERSION, "base": base_id, "generated_at": iso_utc(report["generated_at"]),
        "active_days": report["active_days"], "silent_days": report["silent_days"],
        "zones": [zone_figures(zone) for zone in report["zones"]],
        "villages": [{"number": v["number"], "name": v["name"], "zone": v["zone"],
                      "focal_points": v["focal_points"],
                      "active_focal_points": v["active_focal_points"],
                      "last_heard_at": iso_utc(v["last_heard_at"]), "silent": v["silent"],
                      "reports_30d": v["reports_30d"], "reports_90d": v["reports_90d"],
                      "closed_after_response": v["closed_after_response"],
                      "false_alarms": v["false_alarms"]} for v in report["villages"]],
    }


def publish_network(store: Store, config: Config, now: float) -> bool:
    """Queue today's aggregate for MQTT (retained), once per local day; True when queued."""
    if config.mqtt is None:
        return False
    with store.transaction() as db:
        report = network_report(db, config, now)
        body = json.dumps(network_aggregate(report, config.base.id), ensure_ascii=False,
                          separators=(",", ":"))
        outbox.enqueue(db, "mqtt", PRIORITY["Minor"], now, recipient=TOPIC, body=body)
    return True


@dataclass(frozen=True)
class Silent:
    """Someone who missed a check-in and has not been heard since."""

    kind: str  # village or focal
    subject: int  # the village's number or the focal point's id
    who: str | None  # the village's or the focal point's name (None: names not asked for)
    village: str | None
    zone: str | None
    due_at: float  # the first check-in missed
    last_heard_at: float | None
    incident: str | None  # the silence incident it is part of


def silent_now(store: Store, names: bool = True) -> list[Silent]:
    """Every open silence, the longest first; focal points named only when `names` (a list
    that ties a person to "not heard since" is for those who may see names)."""
    db = store.db
    villages = dict(db.execute("SELECT number, name FROM villages").fetchall())
    people = reg.focal_names(store) if names else {}
    found = []
    for silence in silences.open_silences(db):
        incident = incident_store.get(db, silence.incident_id) if silence.incident_id else None
        if silence.kind == silences.VILLAGE:
            who = villages.get(silence.subject)
        else:
            who = people.get(silence.subject, f"focal point {silence.subject}") if names else None
        found.append(Silent(silence.kind, silence.subject, who, villages.get(silence.village),
                            silence.zone, silence.due_at, silence.last_heard_at,
                            incident.ref if incident else None))
    return found
