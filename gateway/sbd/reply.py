"""The status reply a base sends by satellite when headquarters pings it (with the summaries of
its recent broadcasts, format byte 0x04, when it has any), the notice that it was wiped, and the
decoder that tells them from an alert batch (docs/sbd-format.md)."""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass

from gateway.errors import SbdFormatError
from gateway.sbd import batch, packed
from gateway.sbd.wire import Header, Reader, short_text, varint

KIND = 0x02
WITH_BROADCASTS = 0x04
WIPED_KIND = 0x05
BROADCAST_STATES = ("sending", "sent", "settled", "cancelled", "refused")
MAX_BROADCASTS = 4
MAX_SIGNAL, UNKNOWN_SIGNAL = 5, 0xFF
U16 = 0xFFFF
LINK = re.compile(r"[a-z][a-z0-9_]{0,14}=[a-z][a-z0-9_]{0,14}")
LINKS_TEXT = re.compile(rf"-|{LINK.pattern}(?: {LINK.pattern})*")  # "-": no link


@dataclass(frozen=True)
class StatusReply:
    base: str
    instance: str
    time: int
    counter: int  # the counter of the ping this answers
    signal: int | None  # satellite signal 0-5
    credits_used_today: int
    daily_credit_budget: int
    waiting: int  # alerts waiting for the satellite
    undelivered: int  # alerts MQTT has not delivered
    last_seq: int  # the newest alert's sequence number (0: none yet)
    links: str  # "gsm=up mqtt=down hf=up"
    broadcasts: tuple[BroadcastSummary, ...] = ()


@dataclass(frozen=True)
class BroadcastSummary:
    """A recent broadcast's figures; `counter` is the command that asked it (0: made at the
    base), `number` its number at the base (0 for a refused command)."""

    counter: int
    number: int
    state: str  # one of BROADCAST_STATES
    recipients: int
    queued: int
    sent: int
    delivered: int
    failed: int
    expired: int
    replied: int

    def encode(self) -> bytes:
        out = bytearray(self.counter.to_bytes(4, "big"))
        out += varint(self.number) + bytes([BROADCAST_STATES.index(self.state)])
        for value in (self.recipients, self.queued, self.sent, self.delivered, self.failed,
                      self.expired, self.replied):
            out += varint(value)
        return bytes(out)

    @classmethod
    def read(cls, reader: Reader) -> BroadcastSummary:
        counter = reader.uint(4, "broadcast counter")
        number = reader.varint("broadcast number")
        state = reader.byte("broadcast state")
        if state >= len(BROADCAST_STATES):
            raise SbdFormatError(f"broadcast state {state} is not one this version knows")
        counts = [reader.varint(name) for name in ("recipients", "queued", "sent", "delivered",
                                                   "failed", "expired", "replied")]
        return cls(counter, number, BROADCAST_STATES[state], *counts)


def links_text(states: Mapping[str, str]) -> str:
    """Each link's state as the reply carries it (`gsm=up mqtt=down`): whole pairs within 255
    bytes, leaving out any name or state outside the grammar; "-" for none."""
    text = ""
    for pair in (f"{name}={state}" for name, state in states.items()):
        if LINK.fullmatch(pair) and len(text) + bool(text) + len(pair) <= 255:
            text = f"{text} {pair}" if text else pair
    return text or "-"


@dataclass(frozen=True)
class Wiped:
    """The base's last message: it destroyed its data key and everything it stored."""

    base: str
    instance: str
    time: int


def encode_wiped(notice: Wiped) -> bytes:
    return Header(WIPED_KIND, notice.base, notice.instance, notice.time).encode()


def encode_reply(reply: StatusReply) -> bytes:
    """Counts above 65535 are sent as 65535 ("that many or more")."""
    if reply.signal is not None and not 0 <= reply.signal <= MAX_SIGNAL:
        raise ValueError(f"signal {reply.signal}: 0 to {MAX_SIGNAL}")
    if not LINKS_TEXT.fullmatch(reply.links) or len(reply.links) > 255:
        raise ValueError(f"links {reply.links!r}: name=state pairs (links_text), or '-'")
    if not 0 <= reply.counter < 1 << 32:
        raise ValueError("counter does not fit 32 bits")
    kind = WITH_BROADCASTS if reply.broadcasts else KIND
    if len(reply.broadcasts) > MAX_BROADCASTS:
        raise ValueError(f"at most {MAX_BROADCASTS} broadcast summaries")
    out = bytearray(Header(kind, reply.base, reply.instance, reply.time).encode())
    out += reply.counter.to_bytes(4, "big")
    out.append(UNKNOWN_SIGNAL if reply.signal is None else reply.signal)
    for value in (reply.credits_used_today, reply.daily_credit_budget, reply.waiting,
                  reply.undelivered):
        out += min(max(value, 0), U16).to_bytes(2, "big")
    out += varint(reply.last_seq)
    out += short_text(reply.links, "links")
    if reply.broadcasts:
        out.append(len(reply.broadcasts))
        for summary in reply.broadcasts:
            out += summary.encode()
    return bytes(out)


def read_reply(reader: Reader, header: Header) -> StatusReply:
    counter = reader.uint(4, "counter")
    signal = reader.byte("signal")
    if MAX_SIGNAL < signal < UNKNOWN_SIGNAL:
        raise SbdFormatError(f"signal {signal}: 0 to {MAX_SIGNAL}, or 255 (unknown)")
    used, budget, waiting, undelivered = (
        reader.uint(2, name) for name in
        ("credits used today", "daily credit budget", "waiting", "undelivered"))
    last_seq = reader.varint("last sequence number")
    links = reader.short_text("links", LINKS_TEXT)
    broadcasts: tuple[BroadcastSummary, ...] = ()
    if header.kind == WITH_BROADCASTS:
        count = reader.byte("broadcast count")
        if not 1 <= count <= MAX_BROADCASTS:
            raise SbdFormatError(f"{count} broadcast summaries: 1 to {MAX_BROADCASTS}")
        broadcasts = tuple(BroadcastSummary.read(reader) for _ in range(count))
    reader.end()
    return StatusReply(header.base, header.instance, header.time, counter,
                       None if signal == UNKNOWN_SIGNAL else signal, used, budget, waiting,
                       undelivered, last_seq, links, broadcasts)


def decode_message(data: bytes) -> batch.Batch | packed.Message | StatusReply | Wiped:
    """Any message a base sends by satellite; anything else raises SbdFormatError."""
    reader = Reader(data)
    header = Header.read(reader)
    if header.kind == batch.KIND:
        return batch.read_batch(reader, header)
    if header.kind == packed.KIND:
        return packed.read_message(reader, header)
    if header.kind in (KIND, WITH_BROADCASTS):
        return read_reply(reader, header)
    if header.kind == WIPED_KIND:
        reader.end()
        return Wiped(header.base, header.instance, header.time)
    raise SbdFormatError(f"format byte 0x{header.kind:02x} is not one this version knows "
                         "(0x01 alert batch, 0x02 status reply, 0x03 alert batch version 2, "
                         "0x04 status reply with broadcasts, 0x05 wiped)")
