"""The compact alert batch: many alerts in one satellite message (docs/sbd-format.md).

A typical alert (code, village, registered sender) takes 9 bytes: a head byte (code, language,
what follows), its sequence number as a gap from the previous alert's, its time as seconds
from the previous alert's, the village number and the sender's 5-byte pseudonym (1 byte when
the sender already appears in the batch). Everything unusual (no village, a count, free text,
HF, several SMS parts) is announced by an extras byte, so the common case pays nothing for it.
Alerts are written in sequence order; which alerts go is the policy's business.
"""

from __future__ import annotations

import itertools
import re
from dataclasses import dataclass

from gateway.alerts.codes import LANGUAGES
from gateway.errors import SbdFormatError
from gateway.sbd.wire import Header, Reader, short_text, unzigzag, varint, zigzag

KIND = 0x01
MAX_ALERTS = 255
NAMED_CHANNELS = ("sms", "hf")  # channel numbers 0 and 1; others travel by name
CHANNEL_NAME = re.compile(r"[a-z][a-z0-9_]{0,14}")
CODE_TEXT = re.compile(r"[0-9]{1,15}")
SENDER = re.compile(r"fp-([0-9a-f]{10})")
CODE_AS_TEXT, NO_CODE = 14, 15
SEQ_MAX = (1 << 63) - 1  # a signed 64-bit integer, as the base's SQLite keeps it

# head byte
HAS_EXTRAS, SENDER_REF = 0x08, 0x04
# extras byte
NO_VILLAGE, NO_SENDER, UNVERIFIED, PARTIAL, HAS_COUNT, HAS_TEXT, TRUNCATED, HAS_MORE = (
    1 << bit for bit in range(8))
# more byte
CHANNEL_MASK, HAS_PARTS, HAS_REPEATS, MORE_RESERVED = 0x03, 0x04, 0x08, 0xF0
CHANNEL_BY_NAME = 2


@dataclass(frozen=True)
class SatAlert:
    """An alert as the satellite carries it. `sender` is a pseudonym (`fp-` + 10 hex), never a
    number; `received_at` is whole seconds; `text` may be cut (`text_truncated`)."""

    seq: int
    received_at: int
    code: str | None
    language: str = "fr"
    channel: str = "sms"
    village: int | None = None
    sender: str | None = None
    registered: bool = True
    partial: bool = False
    count: int | None = None
    text: str = ""
    text_truncated: bool = False
    parts: int = 1
    repeats: int = 1


@dataclass(frozen=True)
class Batch:
    base: str
    instance: str
    time: int
    alerts: tuple[SatAlert, ...]

    def alert_id(self, alert: SatAlert) -> str:
        """The id the alert has on MQTT (`KWJ-71b6-193`), so headquarters merges the two."""
        return f"{self.base}-{self.instance}-{alert.seq}"


def encode_batch(base: str, instance: str, alerts: list[SatAlert] | tuple[SatAlert, ...]) -> bytes:
    """The batch message for `alerts` (any order; written in sequence order). Raises
    ValueError for alerts the format cannot carry (a sender that is not a pseudonym, ...)."""
    if not 1 <= len(alerts) <= MAX_ALERTS:
        raise ValueError(f"a batch holds 1 to {MAX_ALERTS} alerts, got {len(alerts)}")
    ordered = sorted(alerts, key=lambda a: a.seq)
    if any(a.seq == b.seq for a, b in itertools.pairwise(ordered)):
        raise ValueError("two alerts with the same sequence number")
    if ordered[0].seq < 1 or ordered[-1].seq > SEQ_MAX:
        raise ValueError("sequence numbers are 1 to 2**63-1")
    reference = min(a.received_at for a in ordered)
    out = bytearray(Header(KIND, base, instance, reference).encode())
    out.append(len(ordered))
    previous_seq, previous_time = 0, reference
    senders: list[str] = []
    for alert in ordered:
        out += _encode_alert(alert, previous_seq, previous_time, senders)
        previous_seq, previous_time = alert.seq, alert.received_at
    return bytes(out)


def _encode_alert(alert: SatAlert, previous_seq: int, previous_time: int,
                  senders: list[str]) -> bytes:
    if alert.language not in LANGUAGES:
        raise ValueError(f"language {alert.language!r}: one of {', '.join(LANGUAGES)}")
    nibble, code_text = code_nibble(alert.code)
    sender_bytes = b""
    head = nibble << 4 | LANGUAGES.index(alert.language)
    if alert.sender is not None:
        match = SENDER.fullmatch(alert.sender)
        if match is None:
            raise ValueError("the sender must be a pseudonym (fp- and 10 hex digits)")
        if alert.sender in senders:
            head |= SENDER_REF
            sender_bytes = bytes([senders.index(alert.sender)])
        else:
            senders.append(alert.sender)
            sender_bytes = bytes.fromhex(match.group(1))
    more = more_byte(alert)
    extras = extras_byte(alert, more is not None)
    if extras:
        head |= HAS_EXTRAS
    out = bytearray([head])
    out += varint(alert.seq - previous_seq - 1)
    out += varint(zigzag(alert.received_at - previous_time))
    if extras:
        out.append(extras)
    if more is not None:
        out.append(more)
    if code_text is not None:
        out += short_text(code_text, "code")
    if alert.channel not in NAMED_CHANNELS:
        out += short_text(alert.channel, "channel")
    if alert.parts != 1:
        out += varint(alert.parts)
    if alert.repeats != 1:
        out += varint(alert.repeats)
    if alert.village is not None:
        out += varint(alert.village)
    out += sender_bytes
    if alert.count is not None:
        out += varint(alert.count)
    if alert.text:
        out += short_text(alert.text, "text", "utf-8")
    return bytes(out)


def code_nibble(code: str | None) -> tuple[int, str | None]:
    if code is None:
        return NO_CODE, None
    if not CODE_TEXT.fullmatch(code):
        raise ValueError(f"code {code!r}: 1 to 15 digits")
    if str(int(code)) == code and int(code) < CODE_AS_TEXT:
        return int(code), None
    return CODE_AS_TEXT, code


def extras_byte(alert: SatAlert, has_more: bool) -> int:
    if alert.sender is None and alert.registered:
        raise ValueError("an alert without a sender cannot be from a registered sender")
    flags = [(alert.village is None, NO_VILLAGE), (alert.sender is None, NO_SENDER),
             (alert.sender is not None and not alert.registered, UNVERIFIED),
             (alert.partial, PARTIAL), (alert.count is not None, HAS_COUNT),
             (bool(alert.text), HAS_TEXT), (alert.text_truncated, TRUNCATED), (has_more, HAS_MORE)]
    return sum(bit for present, bit in flags if present)


def more_byte(alert: SatAlert) -> int | None:
    if alert.parts < 1 or alert.repeats < 1:
        raise ValueError("parts and repeats are at least 1")
    if alert.channel in NAMED_CHANNELS:
        channel = NAMED_CHANNELS.index(alert.channel)
    elif CHANNEL_NAME.fullmatch(alert.channel):
        channel = CHANNEL_BY_NAME
    else:
        raise ValueError(f"channel {alert.channel!r}: lowercase letters, digits, _ (up to 15)")
    more = channel | (HAS_PARTS if alert.parts != 1 else 0) | (HAS_REPEATS if alert.repeats != 1 else 0)
    return more or None


def decode_batch(data: bytes) -> Batch:
    """The batch in `data`; any other input raises SbdFormatError (and nothing else)."""
    reader = Reader(data)
    header = Header.read(reader)
    if header.kind != KIND:
        raise SbdFormatError(f"format byte 0x{header.kind:02x} is not an alert batch (0x01)")
    return read_batch(reader, header)


def read_batch(reader: Reader, header: Header) -> Batch:
    """The rest of a batch after its header."""
    count = reader.byte("alert count")
    if count == 0:
        raise SbdFormatError("a batch with no alert")
    previous_seq, previous_time = 0, header.time
    alerts: list[SatAlert] = []
    senders: list[str] = []
    for index in range(count):
        alert = _read_alert(reader, f"alert {index + 1}", previous_seq, previous_time, senders)
        alerts.append(alert)
        previous_seq, previous_time = alert.seq, alert.received_at
    reader.end()
    return Batch(header.base, header.instance, header.time, tuple(alerts))


def _read_alert(reader: Reader, where: str, previous_seq: int, previous_time: int,
                senders: list[str]) -> SatAlert:
    head = reader.byte(f"{where} head")
    language_index = head & 0x03
    if language_index >= len(LANGUAGES):
        raise SbdFormatError(f"{where}: language 3 is not defined")
    seq = previous_seq + 1 + reader.varint(f"{where} sequence gap")
    if seq > SEQ_MAX:
        raise SbdFormatError(f"{where}: sequence number above 2^63-1")
    received_at = previous_time + unzigzag(reader.varint(f"{where} time"))
    if not 0 <= received_at < 1 << 32:
        raise SbdFormatError(f"{where}: time out of range")
    extras = reader.byte(f"{where} extras") if head & HAS_EXTRAS else 0
    more = reader.byte(f"{where} more") if extras & HAS_MORE else 0
    if more & MORE_RESERVED:
        raise SbdFormatError(f"{where}: reserved bits set in the more byte")
    if head & SENDER_REF and extras & NO_SENDER:
        raise SbdFormatError(f"{where}: a sender reference for an alert without sender")
    nibble = head >> 4
    code = None if nibble == NO_CODE else str(nibble)
    if nibble == CODE_AS_TEXT:
        code = reader.short_text(f"{where} code", CODE_TEXT)
        if code_nibble(code)[1] is None:  # one encoding per code
            raise SbdFormatError(f"{where}: code {code} is written in the head byte, not as text")
    channel_number = more & CHANNEL_MASK
    if channel_number == CHANNEL_BY_NAME:
        channel = reader.short_text(f"{where} channel", CHANNEL_NAME)
        if channel in NAMED_CHANNELS:
            raise SbdFormatError(f"{where}: channel {channel!r} has a number: it is not written "
                                 "out")
    elif channel_number < len(NAMED_CHANNELS):
        channel = NAMED_CHANNELS[channel_number]
    else:
        raise SbdFormatError(f"{where}: channel number 3 is not defined")
    parts = _more_than_one(reader, f"{where} parts") if more & HAS_PARTS else 1
    repeats = _more_than_one(reader, f"{where} repeats") if more & HAS_REPEATS else 1
    village = None if extras & NO_VILLAGE else reader.varint(f"{where} village")
    sender = None if extras & NO_SENDER else _read_sender(reader, where, head, senders)
    count = reader.varint(f"{where} count") if extras & HAS_COUNT else None
    text = reader.short_text(f"{where} text", encoding="utf-8") if extras & HAS_TEXT else ""
    return SatAlert(seq=seq, received_at=received_at, code=code,
                    language=LANGUAGES[language_index], channel=channel, village=village,
                    sender=sender, registered=sender is not None and not extras & UNVERIFIED,
                    partial=bool(extras & PARTIAL), count=count, text=text,
                    text_truncated=bool(extras & TRUNCATED), parts=parts, repeats=repeats)


def _more_than_one(reader: Reader, what: str) -> int:
    """Parts and repeats are written only when not 1, the default (one encoding per value)."""
    value = reader.varint(what)
    if value < 2:
        raise SbdFormatError(f"{what}: {value} written out (absent means 1; less is not allowed)")
    return value


def _read_sender(reader: Reader, where: str, head: int, senders: list[str]) -> str:
    if head & SENDER_REF:
        index = reader.byte(f"{where} sender reference")
        if index >= len(senders):
            raise SbdFormatError(f"{where}: sender reference {index} but only "
                                 f"{len(senders)} senders so far")
        return senders[index]
    sender = "fp-" + reader.take(5, f"{where} sender").hex()
    senders.append(sender)
    return sender
