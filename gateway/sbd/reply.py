"""The status reply a base sends by satellite when headquarters pings it, and the decoder that
tells a reply from an alert batch (docs/sbd-format.md)."""

from __future__ import annotations

import re
from dataclasses import dataclass

from gateway.errors import SbdFormatError
from gateway.sbd import batch, packed
from gateway.sbd.wire import Header, Reader, short_text, varint

KIND = 0x02
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


def encode_reply(reply: StatusReply) -> bytes:
    """Counts above 65535 are sent as 65535 ("that many or more")."""
    if reply.signal is not None and not 0 <= reply.signal < UNKNOWN_SIGNAL:
        raise ValueError(f"signal {reply.signal}: 0 to 254")
    if not 0 <= reply.counter < 1 << 32:
        raise ValueError("counter does not fit 32 bits")
    out = bytearray(Header(KIND, reply.base, reply.instance, reply.time).encode())
    out += reply.counter.to_bytes(4, "big")
    out.append(UNKNOWN_SIGNAL if reply.signal is None else reply.signal)
    for value in (reply.credits_used_today, reply.daily_credit_budget, reply.waiting,
                  reply.undelivered):
        out += min(max(value, 0), U16).to_bytes(2, "big")
    out += varint(reply.last_seq)
    out += short_text(reply.links or "-", "links")
    return bytes(out)


def read_reply(reader: Reader, header: Header) -> StatusReply:
    counter = reader.uint(4, "counter")
    signal = reader.byte("signal")
    numbers = [reader.uint(2, name) for name in
               ("credits used today", "daily credit budget", "waiting", "undelivered")]
    last_seq = reader.varint("last sequence number")
    links = reader.short_text("links", LINKS_TEXT)
    reader.end()
    return StatusReply(header.base, header.instance, header.time, counter,
                       None if signal == UNKNOWN_SIGNAL else signal, *numbers, last_seq, links)


def decode_message(data: bytes) -> batch.Batch | packed.Message | StatusReply:
    """Any message a base sends by satellite; anything else raises SbdFormatError."""
    reader = Reader(data)
    header = Header.read(reader)
    if header.kind == batch.KIND:
        return batch.read_batch(reader, header)
    if header.kind == packed.KIND:
        return packed.read_message(reader, header)
    if header.kind == KIND:
        return read_reply(reader, header)
    raise SbdFormatError(f"format byte 0x{header.kind:02x} is not one this version knows "
                         "(0x01 alert batch, 0x02 status reply, 0x03 alert batch version 2)")
