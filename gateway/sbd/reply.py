"""The status reply a base sends by satellite when headquarters pings it (with the summaries of
its recent broadcasts, format byte 0x03, when it has any), and the decoder that tells a reply
from an alert batch (docs/sbd-format.md)."""

from __future__ import annotations

import re
from dataclasses import dataclass

from gateway.errors import SbdFormatError
from gateway.sbd import batch
from gateway.sbd.wire import Header, Reader, short_text, varint

KIND = 0x02
WITH_BROADCASTS = 0x03
BROADCAST_STATES = ("sending", "sent", "settled", "cancelled", "refused")
MAX_BROADCASTS = 4
UNKNOWN_SIGNAL = 0xFF
U16 = 0xFFFF
LINKS_TEXT = re.compile(r"[ -~]{1,255}")


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


def encode_reply(reply: StatusReply) -> bytes:
    """Counts above 65535 are sent as 65535 ("that many or more")."""
    if reply.signal is not None and not 0 <= reply.signal < UNKNOWN_SIGNAL:
        raise ValueError(f"signal {reply.signal}: 0 to 254")
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
    out += short_text(reply.links or "-", "links")
    if reply.broadcasts:
        out.append(len(reply.broadcasts))
        for summary in reply.broadcasts:
            out += summary.encode()
    return bytes(out)


def read_reply(reader: Reader, header: Header) -> StatusReply:
    counter = reader.uint(4, "counter")
    signal = reader.byte("signal")
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


def decode_message(data: bytes) -> batch.Batch | StatusReply:
    """Any message a base sends by satellite; anything else raises SbdFormatError."""
    reader = Reader(data)
    header = Header.read(reader)
    if header.kind == batch.KIND:
        return batch.read_batch(reader, header)
    if header.kind in (KIND, WITH_BROADCASTS):
        return read_reply(reader, header)
    raise SbdFormatError(f"format byte 0x{header.kind:02x} is not one this version knows "
                         "(0x01 alert batch, 0x02 status reply, 0x03 status reply with "
                         "broadcasts)")
