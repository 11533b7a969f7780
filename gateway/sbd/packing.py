"""From stored alerts to as few satellite messages as possible.

Alerts are taken in the order given (the policy's: most severe first, then oldest) until the
next one no longer fits, then incident changes while they fit; free text is cut at a word where
it can be (the full text follows over MQTT with the same alert id, so headquarters merges them).
A sender leaves only as its pseudonym and text only redacted: the same rules as for MQTT.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace

from gateway.alerts.payload import publishable_count
from gateway.sbd.batch import SatAlert
from gateway.sbd.incident import SatIncident
from gateway.sbd.packed import encode_message
from gateway.sbd.wire import MO_MAX
from gateway.store.alerts import AlertRow

CREDIT_BYTES = 50  # billed per 50 bytes or part thereof
TEXT_CAP = 32  # bytes of free text an alert with a code may take
UNPARSED_TEXT_CAP = 80  # an unparsed report is all text: it may take more
MIN_TEXT = 8  # cutting a text shorter than this tells headquarters nothing


def credits(size: int) -> int:
    return -(-size // CREDIT_BYTES)


def clip_text(text: str, limit: int) -> tuple[str, bool]:
    """`text` in at most `limit` UTF-8 bytes, cut at a word boundary when one is near the end;
    and whether it was cut."""
    raw = text.encode("utf-8")
    if len(raw) <= limit:
        return text, False
    cut = raw[:max(limit, 0)].decode("utf-8", errors="ignore")
    space = cut.rfind(" ")
    if space >= len(cut) * 0.6:
        cut = cut[:space]
    return cut.rstrip(" ,.;:-"), True


def to_sat_alert(alert: AlertRow, pseudonymise: Callable[[str | None], str | None],
                 redact: Callable[[str], str]) -> SatAlert:
    """The alert as the satellite carries it, its text within the cap for its kind."""
    text, cut = clip_text(redact(alert.text), UNPARSED_TEXT_CAP if alert.code is None
                          else TEXT_CAP)
    return SatAlert(
        seq=alert.seq, received_at=int(alert.received_at), code=alert.code,
        language=alert.language, channel=alert.channel, village=alert.village_number,
        sender=pseudonymise(alert.sender), registered=bool(alert.registered) and alert.sender
        is not None, partial=bool(alert.partial), count=publishable_count(alert.count), text=text,
        text_truncated=cut, parts=alert.parts, repeats=alert.repeats)


Encoder = Callable[[str, str, Sequence[SatAlert], Sequence[SatIncident]], bytes]


@dataclass(frozen=True)
class Packed:
    data: bytes
    alerts: tuple[SatAlert, ...]
    incidents: tuple[SatIncident, ...] = ()

    @property
    def credits(self) -> int:
        return credits(len(self.data))


def pack(base: str, instance: str, alerts: Sequence[SatAlert], max_bytes: int = MO_MAX,
         incidents: Sequence[SatIncident] = (), encode: Encoder = encode_message) -> Packed | None:
    """The first alerts of `alerts` (in that order) that fit in one message of `max_bytes`,
    cutting the text of the last one if that makes it fit, then the first incident changes of
    `incidents` that still fit (without their list of alerts if that makes one fit); None
    when not even one fits. `encode` is the format (version 2; the benchmark compares 1)."""
    chosen: list[SatAlert] = []
    changes: list[SatIncident] = []
    data = b""
    for alert in alerts:
        fitted = _fit(base, instance, chosen, alert, max_bytes, encode)
        if fitted is None:
            break
        chosen.append(fitted[0])
        data = fitted[1]
    if len(chosen) == len(alerts):
        for incident in incidents:
            for candidate in (incident, replace(incident, alerts=None)):
                encoded = encode(base, instance, chosen, [*changes, candidate])
                if len(encoded) <= max_bytes:
                    changes.append(candidate)
                    data = encoded
                    break
            else:
                break
    return Packed(data, tuple(chosen), tuple(changes)) if chosen or changes else None


def _fit(base: str, instance: str, chosen: list[SatAlert], alert: SatAlert,
         max_bytes: int, encode: Encoder) -> tuple[SatAlert, bytes] | None:
    data = encode(base, instance, [*chosen, alert], ())
    if len(data) <= max_bytes or not alert.text:
        return (alert, data) if len(data) <= max_bytes else None
    bare = replace(alert, text="", text_truncated=True)
    room = max_bytes - len(encode(base, instance, [*chosen, bare], ())) - 1  # length byte
    if room >= MIN_TEXT:
        text, _ = clip_text(alert.text, room)
        if text:
            shorter = replace(alert, text=text, text_truncated=True)
            data = encode(base, instance, [*chosen, shorter], ())
            if len(data) <= max_bytes:
                return shorter, data
    if alert.code is not None:  # the code says what happened; the text can follow over MQTT
        data = encode(base, instance, [*chosen, bare], ())
        if len(data) <= max_bytes:
            return bare, data
    return None
