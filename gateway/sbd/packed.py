"""The version 2 batch (format byte 0x03): alerts and incident changes in one message, written
bit by bit (docs/sbd-format.md, "Alert batch, version 2").

An alert keeps version 1's fields and meanings, but each takes the bits it needs: the code
(4 bits), the language (2), one bit when nothing unusual follows (else version 1's extras byte),
the sequence gap, time delta, village and count in exp-Golomb with orders the batch chooses, and
a sender already in the batch as an index of as few bits as the list needs. A typical alert
from a new sender takes about 8.5 bytes, one from a sender already listed about 4.
"""

from __future__ import annotations

import itertools
from collections.abc import Sequence
from dataclasses import dataclass

from gateway.alerts.codes import LANGUAGES
from gateway.errors import SbdFormatError
from gateway.sbd import batch
from gateway.sbd.batch import SatAlert
from gateway.sbd.bits import BitReader, BitWriter, best_k
from gateway.sbd.incident import Orders, SatIncident, read_incident, write_incident
from gateway.sbd.wire import Header, Reader, zigzag

KIND = 0x03
MAX_ITEMS = 255
# an alert's flags (5 bits, after a 0 "plain" bit), and the rare field (8 bits) they announce
F_UNVERIFIED, F_COUNT, F_TEXT, F_HF, F_RARE = 16, 8, 4, 2, 1
R_NO_VILLAGE, R_NO_SENDER, R_PARTIAL, R_TRUNCATED, R_EARLIER, R_CHANNEL, R_PARTS, R_REPEATS = (
    1 << bit for bit in range(8))


@dataclass(frozen=True)
class Message:
    base: str
    instance: str
    time: int
    alerts: tuple[SatAlert, ...]
    incidents: tuple[SatIncident, ...] = ()

    def alert_id(self, alert: SatAlert) -> str:
        return f"{self.base}-{self.instance}-{alert.seq}"

    def incident_id(self, number: int) -> str:
        return f"{self.base}-{self.instance}-I{number}"


def encode_message(base: str, instance: str, alerts: Sequence[SatAlert],
                   incidents: Sequence[SatIncident] = ()) -> bytes:
    """The message for `alerts` and `incidents` (any order: written in sequence and number
    order). ValueError for what the format cannot carry."""
    if (not alerts and not incidents) or len(alerts) > MAX_ITEMS or len(incidents) > MAX_ITEMS:
        raise ValueError(f"a message holds 1 to {MAX_ITEMS} alerts and incidents of each")
    ordered = sorted(alerts, key=lambda a: a.seq)
    if any(a.seq == b.seq for a, b in itertools.pairwise(ordered)) or \
            (ordered and ordered[0].seq < 1):
        raise ValueError("sequence numbers start at 1 and appear once")
    changes = sorted(incidents, key=lambda i: i.number)
    reference = min([a.received_at for a in ordered] + [i.first_at for i in changes])
    out = BitWriter()
    out.bits(len(ordered), 8)
    out.bits(len(changes), 8)
    if ordered:
        _write_alerts(out, ordered, reference)
    if changes:
        numbers = [i.number for i in changes]
        orders = Orders(
            best_k(_gaps(numbers)),
            best_k([zigzag(i.first_at - reference) for i in changes]
                   + [i.last_at - i.first_at for i in changes]),
            best_k(v for i in changes for v in i.villages))
        for value in (orders.number, orders.time, orders.village):
            out.bits(value, 4)
        previous = 0
        for incident in changes:
            write_incident(out, incident, previous, reference, orders)
            previous = incident.number
    return Header(KIND, base, instance, reference).encode() + out.to_bytes()


def _gaps(numbers: list[int]) -> list[int]:
    """Increasing numbers as the gaps between them (the first counted from 0)."""
    return [number - previous - 1 for previous, number in zip([0, *numbers], numbers, strict=False)]


def _write_alerts(out: BitWriter, alerts: list[SatAlert], reference: int) -> None:
    gaps = _gaps([a.seq for a in alerts])
    stamps = [a.received_at for a in alerts]
    deltas = [t - p for p, t in zip([reference, *stamps], stamps, strict=False)]
    orders = [best_k(gaps), best_k(abs(d) for d in deltas),
              best_k(a.village for a in alerts if a.village is not None),
              best_k(a.count for a in alerts if a.count is not None)]
    for k in orders:
        out.bits(k, 4)
    senders: list[str] = []
    for alert, gap, delta in zip(alerts, gaps, deltas, strict=True):
        _write_alert(out, alert, gap, delta, orders, senders)


def _flags(alert: SatAlert, delta: int) -> tuple[int, int]:
    """(flags, rare): what differs from a plain alert (nothing: both 0)."""
    if alert.sender is None and alert.registered:
        raise ValueError("an alert without a sender cannot be from a registered sender")
    if alert.parts < 1 or alert.repeats < 1:
        raise ValueError("parts and repeats are at least 1")
    named = alert.channel not in batch.NAMED_CHANNELS
    if named and not batch.CHANNEL_NAME.fullmatch(alert.channel):
        raise ValueError(f"channel {alert.channel!r}: lowercase letters, digits, _ (up to 15)")
    rare = sum(bit for present, bit in (
        (alert.village is None, R_NO_VILLAGE), (alert.sender is None, R_NO_SENDER),
        (alert.partial, R_PARTIAL), (alert.text_truncated, R_TRUNCATED), (delta < 0, R_EARLIER),
        (named, R_CHANNEL), (alert.parts != 1, R_PARTS), (alert.repeats != 1, R_REPEATS))
        if present)
    flags = sum(bit for present, bit in (
        (alert.sender is not None and not alert.registered, F_UNVERIFIED),
        (alert.count is not None, F_COUNT), (bool(alert.text), F_TEXT),
        (alert.channel == "hf", F_HF), (bool(rare), F_RARE)) if present)
    return flags, rare


def _write_alert(out: BitWriter, alert: SatAlert, gap: int, delta: int, orders: list[int],
                 senders: list[str]) -> None:
    if alert.language not in LANGUAGES:
        raise ValueError(f"language {alert.language!r}: one of {', '.join(LANGUAGES)}")
    nibble, code_text = batch.code_nibble(alert.code)
    flags, rare = _flags(alert, delta)
    out.bits(nibble, 4)
    out.bits(LANGUAGES.index(alert.language), 2)
    out.flag(not flags)
    if flags:
        out.bits(flags, 5)
    if rare:
        out.bits(rare, 8)
    out.golomb(gap, orders[0])
    out.golomb(abs(delta), orders[1])
    if code_text is not None:
        _text(out, code_text.encode("ascii"))
    if rare & R_CHANNEL:
        _text(out, alert.channel.encode("ascii"))
    if alert.parts != 1:
        out.golomb(alert.parts - 2, 0)
    if alert.repeats != 1:
        out.golomb(alert.repeats - 2, 0)
    if alert.village is not None:
        out.golomb(alert.village, orders[2])
    if alert.sender is not None:
        _write_sender(out, alert.sender, senders)
    if alert.count is not None:
        out.golomb(alert.count, orders[3])
    if alert.text:
        _text(out, alert.text.encode("utf-8"))


def _write_sender(out: BitWriter, sender: str, senders: list[str]) -> None:
    match = batch.SENDER.fullmatch(sender)
    if match is None:
        raise ValueError("the sender must be a pseudonym (fp- and 10 hex digits)")
    out.flag(sender in senders)
    if sender in senders:
        out.bits(senders.index(sender), (len(senders) - 1).bit_length())
    else:
        senders.append(sender)
        out.raw(bytes.fromhex(match.group(1)))


def _text(out: BitWriter, raw: bytes) -> None:
    if not 1 <= len(raw) <= 255:
        raise ValueError(f"text of 1 to 255 bytes needed, got {len(raw)}")
    out.bits(len(raw), 8)
    out.raw(raw)


# -- decoding ---------------------------------------------------------------------------------
def decode_message(data: bytes) -> Message:
    reader = Reader(data)
    header = Header.read(reader)
    if header.kind != KIND:
        raise SbdFormatError(f"format byte 0x{header.kind:02x} is not a version 2 batch (0x03)")
    return read_message(reader, header)


def read_message(reader: Reader, header: Header) -> Message:
    """The rest of a version 2 batch after its header."""
    bits = BitReader(reader.take(len(reader.data) - reader.offset, "batch"))
    count, changes = bits.bits(8, "alert count"), bits.bits(8, "incident count")
    if not count and not changes:
        raise SbdFormatError("a batch with neither alert nor incident")
    alerts: list[SatAlert] = []
    if count:
        orders = [bits.bits(4, "orders") for _ in range(4)]
        previous_seq, previous_time = 0, header.time
        senders: list[str] = []
        for index in range(count):
            alert = _read_alert(bits, f"alert {index + 1}", previous_seq, previous_time, orders,
                                senders)
            alerts.append(alert)
            previous_seq, previous_time = alert.seq, alert.received_at
    incidents = []
    if changes:
        orders_i = Orders(*(bits.bits(4, "incident orders") for _ in range(3)))
        previous = 0
        for index in range(changes):
            incident = read_incident(bits, f"incident {index + 1}", previous, header.time,
                                     orders_i)
            incidents.append(incident)
            previous = incident.number
    bits.end()
    return Message(header.base, header.instance, header.time, tuple(alerts), tuple(incidents))


def _read_alert(bits: BitReader, where: str, previous_seq: int, previous_time: int,
                orders: list[int], senders: list[str]) -> SatAlert:
    nibble = bits.bits(4, f"{where} code")
    language = bits.bits(2, f"{where} language")
    if language >= len(LANGUAGES):
        raise SbdFormatError(f"{where}: language {language} is not defined")
    plain = bits.flag(where)
    flags = 0 if plain else bits.bits(5, f"{where} flags")
    rare = bits.bits(8, f"{where} rare") if flags & F_RARE else 0
    if (not plain and not flags) or (flags & F_RARE and not rare):
        raise SbdFormatError(f"{where}: flags that say nothing (one encoding per alert)")
    seq = previous_seq + 1 + bits.golomb(orders[0], f"{where} sequence gap")
    step = bits.golomb(orders[1], f"{where} time")
    if rare & R_EARLIER and not step:
        raise SbdFormatError(f"{where}: an earlier time 0 s earlier")
    received_at = previous_time + (-step if rare & R_EARLIER else step)
    if not 0 <= received_at < 1 << 32:
        raise SbdFormatError(f"{where}: time out of range")
    code = None if nibble == batch.NO_CODE else str(nibble)
    if nibble == batch.CODE_AS_TEXT:
        code = _read_text(bits, f"{where} code", "ascii")
        if not batch.CODE_TEXT.fullmatch(code):
            raise SbdFormatError(f"{where} code: {code!r} is not 1 to 15 digits")
    if flags & F_HF and rare & R_CHANNEL:
        raise SbdFormatError(f"{where}: two channels")
    channel = "hf" if flags & F_HF else "sms"
    if rare & R_CHANNEL:
        channel = _read_text(bits, f"{where} channel", "ascii")
        if not batch.CHANNEL_NAME.fullmatch(channel) or channel in batch.NAMED_CHANNELS:
            raise SbdFormatError(f"{where} channel: {channel!r} is not allowed here")
    parts = 2 + bits.golomb(0, f"{where} parts") if rare & R_PARTS else 1
    repeats = 2 + bits.golomb(0, f"{where} repeats") if rare & R_REPEATS else 1
    village = None if rare & R_NO_VILLAGE else bits.golomb(orders[2], f"{where} village")
    if rare & R_NO_SENDER and flags & F_UNVERIFIED:
        raise SbdFormatError(f"{where}: an unverified mark for an alert without sender")
    sender = None if rare & R_NO_SENDER else _read_sender(bits, where, senders)
    count = bits.golomb(orders[3], f"{where} count") if flags & F_COUNT else None
    text = _read_text(bits, f"{where} text", "utf-8") if flags & F_TEXT else ""
    return SatAlert(seq=seq, received_at=received_at, code=code, language=LANGUAGES[language],
                    channel=channel, village=village, sender=sender,
                    registered=sender is not None and not flags & F_UNVERIFIED,
                    partial=bool(rare & R_PARTIAL), count=count, text=text,
                    text_truncated=bool(rare & R_TRUNCATED), parts=parts, repeats=repeats)


def _read_sender(bits: BitReader, where: str, senders: list[str]) -> str:
    if bits.flag(f"{where} sender"):
        if not senders:
            raise SbdFormatError(f"{where}: a sender reference before any sender")
        index = bits.bits((len(senders) - 1).bit_length(), f"{where} sender reference")
        if index >= len(senders):
            raise SbdFormatError(f"{where}: sender reference {index} but only {len(senders)} "
                                 "senders so far")
        return senders[index]
    sender = "fp-" + bits.raw(5, f"{where} sender").hex()
    senders.append(sender)
    return sender


def _read_text(bits: BitReader, what: str, encoding: str) -> str:
    length = bits.bits(8, f"{what} length")
    if not length:
        raise SbdFormatError(f"{what}: empty")
    try:
        return bits.raw(length, what).decode(encoding)
    except UnicodeDecodeError as exc:
        raise SbdFormatError(f"{what}: not {encoding}: {exc.reason}") from None
