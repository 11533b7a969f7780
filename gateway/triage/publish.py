"""Every incident change leaves the base like an alert: outbox rows written in the transaction
that makes the change, one per uplink that carries it, each the whole current state with a
version that only grows (consumers keep the highest). A change made while the previous one still
waits to leave replaces it in the queue: the newer version carries everything.

An MQTT outbox row's `recipient` names its topic under the base (`incidents`, `network`); the
satellite encodes the same JSON in its compact format (docs/sbd-format.md).
"""

from __future__ import annotations

import json
from collections.abc import Callable, Sequence

from sqlite_utils import Database

from gateway import features
from gateway.alerts.codes import PRIORITY
from gateway.alerts.payload import SCHEMA_VERSION
from gateway.config import Config
from gateway.store import incidents as incident_store
from gateway.store import outbox
from gateway.store.incidents import Change, IncidentRow
from gateway.timeutil import iso_utc

TOPIC = "incidents"


def incident_payload(incident: IncidentRow, base_id: str, alerts: Sequence[str],
                     merged_into: str | None, change: Change | None,
                     redact: Callable[[str], str]) -> dict:
    """The JSON on {topic_prefix}/{base}/incidents (README, "Incident payload"): counts and
    pseudonymous ids only, never a sender."""
    return {
        "schema": SCHEMA_VERSION,
        "id": incident.uid,
        "ref": incident.ref,
        "base": base_id,
        "version": incident.version,
        "state": incident.state,
        "level": incident.level,
        "category": incident.category,
        "categories": list(incident.categories),
        "severity": incident.severity,
        "urgency": incident.urgency,
        "villages": [{"number": number, "name": name} for number, name in incident.villages],
        "zone": incident.zone,
        "first_report_at": iso_utc(incident.first_report_at),
        "last_report_at": iso_utc(incident.last_report_at),
        "reports": incident.reports,
        "repeats": incident.repeats,
        "throttled_reports": incident.throttled,
        "corroboration": {
            "senders": incident.senders,
            "registered_senders": incident.registered_senders,
            "unverified_senders": incident.senders - incident.registered_senders,
            "channels": list(incident.channels),
            "operator_confirmed": incident.operator_confirmed,
        },
        "alerts": list(alerts),
        "merged_into": merged_into,
        "updated_at": iso_utc(incident.updated_at),
        "change": None if change is None else {
            "action": change.action, "by": change.by, "from": change.from_state,
            "to": change.to_state, "note": redact(change.note), "at": iso_utc(change.at)},
    }


class Publisher:
    def __init__(self, config: Config, redact: Callable[[str], str]):
        self.config = config
        self.redact = redact

    def publish(self, db: Database, incident_id: int, change: Change | None, now: float) -> None:
        """Queue the incident's current state on every uplink that carries its severity."""
        incident = incident_store.get(db, incident_id)
        assert incident is not None
        merged_into = incident_store.get(db, incident.merged_into) if incident.merged_into else None
        body = json.dumps(incident_payload(
            incident, self.config.base.id, incident_store.member_uids(db, incident_id),
            merged_into.uid if merged_into else None, change, self.redact),
            ensure_ascii=False, separators=(",", ":"))
        queued = dict(incident.queued)
        for uplink in features.uplinks():
            delay = uplink.delay(self.config, incident.severity)
            if delay is None:
                continue
            previous = queued.get(uplink.destination)
            if previous is not None:
                outbox.supersede(db, previous, f"superseded by version {incident.version}", now)
            queued[uplink.destination] = outbox.enqueue(
                db, uplink.destination, PRIORITY.get(incident.severity, PRIORITY["Unknown"]), now,
                recipient=TOPIC, body=body, not_before=now + delay if delay else None)
        if queued != incident.queued:
            incident_store.update(db, incident_id, queued=json.dumps(queued))
