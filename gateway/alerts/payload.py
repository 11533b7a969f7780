"""The JSON headquarters receives for each alert (documented field by field in the README).

Senders appear only as pseudonyms, and free text is scrubbed of phone numbers and focal
points' names before it leaves the base.
"""

from __future__ import annotations

import json
from collections.abc import Callable

from gateway.alerts.codes import CodeBook
from gateway.store.alerts import AlertRow
from gateway.timeutil import iso_utc

SCHEMA_VERSION = 1


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
        "count": alert.count,
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


def encode(payload: dict) -> bytes:
    return json.dumps(payload, ensure_ascii=False, separators=(",", ":")).encode("utf-8")
