"""Every incident change leaves the base like an alert: outbox rows written in the transaction
that makes the change, one per uplink that carries it, each the whole current state with a
version that only grows (consumers keep the highest). A change made while the previous one still
waits to leave replaces it in the queue: the newer version carries everything.

An MQTT outbox row's `recipient` names its topic under the base (`incidents`, `network`); the
satellite encodes the same JSON in its compact format (docs/sbd-format.md). With `[mqtt] cap`,
every version also goes out as its CAP 1.2 message on `cap` (gateway/cap/incidents.py): each
one, never superseded, since later messages reference the earlier ones by identifier.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Sequence

from sqlite_utils import Database

from gateway import features
from gateway.alerts.codes import PRIORITY, CodeBook, load_codebook
from gateway.alerts.payload import SCHEMA_VERSION
from gateway.cap.incidents import incident_context, incident_history, incident_message
from gateway.cap.message import to_bytes
from gateway.config import Config
from gateway.store import Store, outbox
from gateway.store import incidents as incident_store
from gateway.store.incidents import Change, IncidentRow
from gateway.timeutil import iso_utc, local_zone

TOPIC = "incidents"
CAP_TOPIC = "cap"
MAX_LISTED = 50  # an incident with more alerts leaves `alerts` null: each alert names it anyway


def incident_payload(incident: IncidentRow, base_id: str, alerts: Sequence[str] | None,
                     codes: Sequence[str | None], merged_into: str | None,
                     change: Change | None, redact: Callable[[str], str]) -> dict:
    """The JSON on {topic_prefix}/{base}/incidents (README, "Incident payload"): counts and
    ids only, never a sender. `alerts` None: too many to list (see Publisher)."""
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
        "codes": list(codes),
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
        "alerts": list(alerts) if alerts is not None else None,
        "merged_into": merged_into,
        "updated_at": iso_utc(incident.updated_at),
        "change": None if change is None else {
            "action": change.action, "by": change.by, "from": change.from_state,
            "to": change.to_state, "note": redact(change.note), "at": iso_utc(change.at)},
    }


class Publisher:
    def __init__(self, config: Config, redact: Callable[[str], str], store: Store):
        self.config = config
        self.redact = redact
        self.store = store
        self._codebook: CodeBook | None = None

    def publish(self, db: Database, incident_id: int, change: Change | None, now: float) -> None:
        """Queue the incident's current state on every uplink that carries its severity."""
        incident = incident_store.get(db, incident_id)
        assert incident is not None
        merged_into = incident_store.get(db, incident.merged_into) if incident.merged_into else None
        # past MAX_LISTED the alerts are not listed: a flood would otherwise make every new
        # version carry, and the SD card write, thousands of ids
        listed = incident_store.member_uids(db, incident_id) \
            if incident.reports <= MAX_LISTED else None
        body = json.dumps(incident_payload(
            incident, self.config.base.id, listed,
            incident_store.member_codes(db, incident_id), merged_into.uid if merged_into else None,
            change, self.redact),
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
        if self.config.mqtt is not None and self.config.mqtt.cap:
            outbox.enqueue(db, "mqtt", PRIORITY.get(incident.severity, PRIORITY["Unknown"]), now,
                           recipient=CAP_TOPIC, body=self._cap(db, incident))

    def _cap(self, db: Database, incident: IncidentRow) -> str:
        """The incident's current version as a CAP 1.2 document."""
        if self._codebook is None:
            self._codebook = load_codebook(self.config.codes.file if self.config.codes else None)
        context = incident_context(self.store, self.config, self._codebook)
        message = incident_message(incident, incident_history(db, incident), context)
        return to_bytes(message, local_zone(self.config.base.timezone)).decode("utf-8")
