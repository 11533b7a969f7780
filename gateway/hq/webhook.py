"""What the satellite provider posts for each message from a base (RockBLOCK / Ground Control's
MO delivery webhook): checked field by field, so a malformed post gets a 4xx and a reason.

Form fields (or the same keys as JSON): `imei`, `momsn`, `transmit_time` (`21-10-31 10:41:50`,
UTC), `iridium_latitude`, `iridium_longitude`, `data` (the message in hex); `secret` (or the
query parameter of that name) when the bridge has a shared secret. Only the IMEIs of the
configured bases' modems are accepted.
"""

from __future__ import annotations

import datetime as dt
import hmac
import json
import re
from collections.abc import Collection
from urllib.parse import parse_qs

from gateway.errors import GatewayError
from gateway.hq.store import Delivery
from gateway.sbd.wire import MO_MAX

# ASCII only (re.ASCII): Python's \d and int() also take other scripts' digits and "1_0"
IMEI = re.compile(r"[0-9]{15}", re.ASCII)
MOMSN = re.compile(r"[0-9]{1,5}", re.ASCII)
HEX = re.compile(r"(?:[0-9a-fA-F]{2})+", re.ASCII)
COORDINATE = re.compile(r"[-+]?[0-9]{1,3}(?:\.[0-9]{1,12})?", re.ASCII)
TRANSMIT_TIME = re.compile(r"[0-9]{2}-[0-9]{2}-[0-9]{2} [0-9]{2}:[0-9]{2}:[0-9]{2}", re.ASCII)


class BadDelivery(GatewayError, ValueError):
    """A post the bridge refuses, with the HTTP status to answer and why."""

    def __init__(self, status: int, reason: str):
        super().__init__(reason)
        self.status = status
        self.reason = reason


def read_fields(body: bytes, content_type: str, query: str) -> dict[str, str]:
    """The post's fields, from a form or a JSON object; query parameters fill what is missing."""
    kind = content_type.split(";")[0].strip().lower()
    try:
        if kind == "application/json":
            parsed = json.loads(body.decode("utf-8"))
            if not isinstance(parsed, dict):
                raise BadDelivery(400, "the JSON body is not an object")
            fields = {str(k): "" if v is None else str(v) for k, v in parsed.items()}
        elif kind in ("application/x-www-form-urlencoded", ""):
            fields = {k: v[0] for k, v in parse_qs(body.decode("ascii"), strict_parsing=bool(
                body), keep_blank_values=True).items()}
        else:
            raise BadDelivery(415, f"content type {kind!r}: send a form or JSON")
    except (UnicodeDecodeError, ValueError) as exc:
        if isinstance(exc, BadDelivery):
            raise
        raise BadDelivery(400, f"the body cannot be read as {kind or 'a form'}: {exc}") from None
    for key, values in parse_qs(query, keep_blank_values=True).items():
        fields.setdefault(key, values[0])
    return fields


def parse_delivery(fields: dict[str, str], secret: str | None, imeis: Collection[str]) -> Delivery:
    if secret is not None and not hmac.compare_digest(fields.get("secret", "").encode(),
                                                      secret.encode()):
        raise BadDelivery(403, "missing or wrong shared secret")
    imei = _required(fields, "imei")
    if not IMEI.fullmatch(imei):
        raise BadDelivery(400, "imei: expected 15 digits")
    if imei not in imeis:
        raise BadDelivery(403, f"imei {imei} is not the modem of any base in this bridge's "
                               "configuration")
    momsn = _required(fields, "momsn")
    if not MOMSN.fullmatch(momsn) or int(momsn) > 65535:
        raise BadDelivery(400, "momsn: expected a number from 0 to 65535")
    data = _required(fields, "data")
    if not HEX.fullmatch(data):
        raise BadDelivery(400, "data: expected the message in hexadecimal")
    message = bytes.fromhex(data)
    if not 1 <= len(message) <= MO_MAX:
        raise BadDelivery(400, f"data: a message is 1 to {MO_MAX} bytes, got {len(message)}")
    return Delivery(imei, int(momsn), _transmit_time(fields.get("transmit_time")),
                    _coordinate(fields, "iridium_latitude", 90),
                    _coordinate(fields, "iridium_longitude", 180), message)


def _required(fields: dict[str, str], name: str) -> str:
    value = fields.get(name, "").strip()
    if not value:
        raise BadDelivery(400, f"{name}: missing")
    return value


def _transmit_time(value: str | None) -> str | None:
    """The provider's `21-10-31 10:41:50` (UTC) as ISO-8601."""
    if not value:
        return None
    try:
        if not TRANSMIT_TIME.fullmatch(value.strip()):
            raise ValueError
        moment = dt.datetime.strptime(value.strip(), "%y-%m-%d %H:%M:%S")
    except ValueError:
        raise BadDelivery(400, "transmit_time: expected YY-MM-DD HH:MM:SS") from None
    return moment.replace(tzinfo=dt.UTC).isoformat().replace("+00:00", "Z")


def _coordinate(fields: dict[str, str], name: str, limit: float) -> float | None:
    value = fields.get(name, "").strip()
    if not value:
        return None
    if not COORDINATE.fullmatch(value):
        raise BadDelivery(400, f"{name}: expected a number")
    number = float(value)
    if not -limit <= number <= limit:
        raise BadDelivery(400, f"{name}: expected -{limit:.0f} to {limit:.0f}")
    return number
