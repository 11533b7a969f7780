"""The alert history as it may leave the base: one record per alert, as headquarters receives
it (senders as pseudonyms, names and numbers removed from the text), with when the base saw it.

`cangw alerts export` writes it, and the hand-over bundle carries it (gateway/handover/).
"""

from __future__ import annotations

import csv
from collections.abc import Iterable
from typing import TextIO

from gateway.alerts.codes import CodeBook
from gateway.alerts.payload import alert_payload
from gateway.alerts.registry_cache import RegistryCache
from gateway.store import Store
from gateway.store import alerts as alert_store
from gateway.store import incidents as incident_store
from gateway.store import seen as seen_store
from gateway.timeutil import iso_utc

CSV_COLUMNS = ["id", "ref", "base", "channel", "received_at", "code", "category", "severity",
               "urgency", "village_number", "village_name", "count", "text", "unparsed",
               "sender", "sender_registered", "language", "parts", "partial", "repeats",
               "incident", "throttled", "seen_at", "seen_via"]


def alert_records(store: Store, base_id: str, codebook: CodeBook,
                  since: float | None = None) -> list[dict]:
    """Every alert since `since` (all without it), oldest first."""
    redact = RegistryCache(store, codebook).redact
    pseudonymise = store.pseudonymiser()
    records = []
    for alert in reversed(alert_store.recent(store.db, since, limit=None)):
        seen = seen_store.seen(store.db, alert.id)
        incident, throttled = incident_store.membership(store.db, alert.id) or (None, False)
        records.append(alert_payload(alert, base_id, codebook, pseudonymise, redact, incident,
                                     throttled)
                       | {"seen_at": iso_utc(seen[0]) if seen else None,
                          "seen_via": seen[1] if seen else None})
    return records


def write_csv(records: Iterable[dict], out: TextIO) -> None:
    """The records as CSV, one row each in CSV_COLUMNS (the village as number and name)."""
    writer = csv.DictWriter(out, CSV_COLUMNS, extrasaction="ignore", lineterminator="\n")
    writer.writeheader()
    for record in records:
        village = record["village"] or {}
        writer.writerow(record | {"village_number": village.get("number"),
                                  "village_name": village.get("name")})
