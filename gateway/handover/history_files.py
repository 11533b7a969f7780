"""The base's history in the bundle: alerts and incidents as CSV, and both as OASIS CAP 1.2.

What may leave the base only: senders as pseudonyms, free text scrubbed of numbers and names
(the same records `cangw alerts export` and `cangw export cap` write). The new gateway keeps
these files for reference; they are not merged into its store.
"""

from __future__ import annotations

import io
import re

from gateway.alerts.codes import CodeBook
from gateway.alerts.history import alert_records, write_csv
from gateway.alerts.registry_cache import RegistryCache
from gateway.cap.alerts import stored_alert_messages
from gateway.cap.incidents import stored_incident_messages
from gateway.cap.message import to_bytes
from gateway.config import Config
from gateway.handover.tables import csv_bytes
from gateway.store import Store
from gateway.store import incidents as incident_store
from gateway.store.incidents import IncidentRow
from gateway.timeutil import iso_utc, local_zone

ALERTS, INCIDENTS = "history/alerts.csv", "history/incidents.csv"
CHANGES = "history/incident_changes.csv"
CAP_ALERTS, CAP_INCIDENTS = "history/cap/alerts/", "history/cap/incidents/"
INCIDENT_COLUMNS = ["ref", "id", "state", "level", "category", "categories", "severity",
                    "urgency", "villages", "zone", "first_report_at", "last_report_at",
                    "reports", "repeats", "throttled", "senders", "registered_senders",
                    "channels", "operator_confirmed", "by_hand", "merged_into", "version"]
CHANGE_COLUMNS = ["incident", "version", "at", "by", "action", "from_state", "to_state", "note"]
SAFE_NAME = re.compile(r"[^A-Za-z0-9._-]")


def history_files(store: Store, config: Config, codebook: CodeBook) -> dict[str, bytes]:
    """The history's files, by their names in the bundle."""
    out = io.StringIO()
    write_csv(alert_records(store, config.base.id, codebook), out)
    redact = RegistryCache(store, codebook).redact
    incidents = [found for (incident_id,) in store.db.execute("SELECT id FROM incidents ORDER BY id")
                 if (found := incident_store.get(store.db, incident_id)) is not None]
    refs = {incident.id: incident.ref for incident in incidents}
    files = {
        ALERTS: out.getvalue().encode("utf-8"),
        INCIDENTS: csv_bytes(INCIDENT_COLUMNS, [_incident_row(i, refs) for i in incidents]),
        CHANGES: csv_bytes(CHANGE_COLUMNS, [
            [incident.ref, change.version, iso_utc(change.at), change.by, change.action,
             change.from_state, change.to_state, redact(change.note)]
            for incident in incidents for change in incident_store.changes(store.db, incident.id)]),
    }
    zone = local_zone(config.base.timezone)
    for folder, messages in ((CAP_ALERTS, stored_alert_messages(store, config, codebook)),
                             (CAP_INCIDENTS, stored_incident_messages(store, config, codebook))):
        for message in messages:
            files[folder + SAFE_NAME.sub("_", message.identifier) + ".xml"] = to_bytes(message,
                                                                                       zone)
    return files


def _incident_row(incident: IncidentRow, refs: dict[int, str]) -> list[object]:
    return [incident.ref, incident.uid, incident.state, incident.level, incident.category,
            ";".join(incident.categories), incident.severity, incident.urgency,
            ";".join(f"{number}:{name or ''}" for number, name in incident.villages),
            incident.zone, _iso(incident.first_report_at), _iso(incident.last_report_at),
            incident.reports, incident.repeats, incident.throttled, incident.senders,
            incident.registered_senders, ";".join(incident.channels),
            int(incident.operator_confirmed), int(incident.by_hand),
            refs.get(incident.merged_into) if incident.merged_into else None, incident.version]


def _iso(timestamp: float | None) -> str | None:
    return iso_utc(timestamp) if timestamp is not None else None
