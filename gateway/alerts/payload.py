"""The JSON headquarters receives for each alert (documented field by field in the README).

Senders appear only as pseudonyms, and free text is scrubbed of phone numbers and focal
points' names before it leaves the base.
"""

from __future__ import annotations

import json
from collections.abc import Callable

from gateway.alerts.codes import CodeBook
from gateway.alerts.phone import MAX_COUNT_DIGITS
from gateway.store.alerts import AlertRow
from gateway.timeutil import iso_utc

SCHEMA_VERSION = 1
MAX_COUNT = 10 ** MAX_COUNT_DIGITS - 1


def alert_payload(alert: AlertRow, base_id: str, codebook: CodeBook,
                  pseudonymise: Callable[[str | None], str | None],
                  redact: Callable[[str], str], incident: str | None = None,
                  throttled: bool = False) -> dict:
    code = codebook.codes.get(alert.code) if alert.code else None
    return {
        "schema": SCHEMA_VERSION,
        "id": alert.uid,
        "ref": alert.ref,
        "base": base_id,
        "channel": alert.channel,
        "received_at": iso_utc(alert.received_at),
        "code": alert.code,
        "code_words": dict(code.labels) if code else None,
        "category": alert.category,
        "severity": alert.severity,
        "urgency": alert.urgency,
        "village": ({"number": alert.village_number, "name": alert.village_name}
                    if alert.village_number is not None else None),
        "count": publishable_count(alert.count),
        "text": redact(alert.text),
        "unparsed": alert.code is None,
        "sender": pseudonymise(alert.sender),
        "sender_registered": bool(alert.registered),
        "language": alert.language,
        "parts": alert.parts,
        "partial": bool(alert.partial),
        "repeats": alert.repeats,
        "entered_by": alert.entered_by,
        "heard_via": alert.via,
        "incident": incident,
        "throttled": throttled,
    }


def publishable_count(count: int | None) -> int | None:
    """A count as it may leave the base: a small number of people. A larger one can only be
    a phone number that an older version took for a count; it is left out."""
    return count if count is not None and 0 <= count <= MAX_COUNT else None


def encode(payload: dict) -> bytes:
    return json.dumps(payload, ensure_ascii=False, separators=(",", ":")).encode("utf-8")
