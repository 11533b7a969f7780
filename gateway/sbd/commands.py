"""Commands from headquarters in mobile-terminated messages, authenticated and never replayed.

A command carries a counter that must grow from one command to the next, and an HMAC-SHA256
tag over the base id and every byte before it, with a key both sides hold
(`command_key_file`). A replayed message (old counter), a command meant for another base, or
one altered on the way fails; headquarters uses the current time as the counter, so it stays
ahead (docs/sbd-format.md).

The counter belongs to the key: the last one is the highest among the accepted commands that
key signed, so a new key starts afresh. A counter more than MAX_AHEAD above the last is refused
(unless the key is new): one command with counter 2**32-1 would otherwise lock every later one
out until the key changed.
"""

from __future__ import annotations

import hashlib
import hmac
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

from gateway.errors import CommandRejected, ConfigError, SbdFormatError
from gateway.keyfile import read_secret
from gateway.sbd.wire import MT_MAX, Reader

KIND = 0x81
TAG_BYTES = 16
DOMAIN = b"cangw-command-v1"
MIN_KEY = 16
COUNTER_MAX = (1 << 32) - 1
MAX_AHEAD = 366 * 86400  # a year of seconds: headquarters' counter is its clock
PING, BROADCAST, WIPE = 1, 2, 3
NAMES = {PING: "ping", BROADCAST: "broadcast", WIPE: "wipe"}


@dataclass(frozen=True)
class Command:
    counter: int
    number: int
    argument: bytes = b""

    @property
    def name(self) -> str:
        return NAMES.get(self.number, f"unknown command {self.number}")


def load_key(path: Path) -> bytes:
    """The shared command key: the file's text without surrounding blanks (never logged)."""
    key = read_secret(path, "command key").encode("utf-8")
    if len(key) < MIN_KEY:
        raise ConfigError(f"{path}: the command key must be at least {MIN_KEY} characters")
    return key


def _tag(key: bytes, base: str, body: bytes) -> bytes:
    return hmac.new(key, DOMAIN + base.encode("ascii") + body, hashlib.sha256).digest()[:TAG_BYTES]


def key_id(key: bytes) -> str:
    """A name for a key that does not reveal it: headquarters keeps its counters by it."""
    return hmac.new(key, DOMAIN + b" key id", hashlib.sha256).hexdigest()[:16]


def next_counter(last: int, now: float) -> int:
    """Headquarters' next counter after `last` (0: none yet with this key): the time, but
    above `last` and no more than MAX_AHEAD over it (a clock years ahead would be refused)."""
    counter = max(int(now), last + 1)
    if last:
        counter = min(counter, last + MAX_AHEAD)
    if counter > COUNTER_MAX:
        raise ValueError(f"the counter would pass {COUNTER_MAX}: make a new key for both sides "
                         "(a new key starts the counter afresh)")
    return counter


def last_counter(key: bytes, base: str, accepted: Iterable[bytes]) -> int:
    """The highest counter among `accepted` commands (raw) that `key` signed for `base`; 0
    when there is none, as for a new key."""
    counters = [int.from_bytes(raw[1:5], "big") for raw in accepted
                if len(raw) > 5 + TAG_BYTES and hmac.compare_digest(
                    raw[-TAG_BYTES:], _tag(key, base, raw[:-TAG_BYTES]))]
    return max(counters, default=0)


def sign(key: bytes, base: str, command: Command) -> bytes:
    """The MT message for `command`, for base `base`."""
    if not 0 < command.counter <= COUNTER_MAX:
        raise ValueError("counter: 1 to 2**32-1")
    body = bytes([KIND]) + command.counter.to_bytes(4, "big") + bytes([command.number]) \
        + command.argument
    message = body + _tag(key, base, body)
    if len(message) > MT_MAX:
        raise ValueError(f"command is {len(message)} bytes; an MT message holds {MT_MAX}")
    return message


def verify(key: bytes, base: str, message: bytes, last_counter: int) -> Command:
    """The command in `message` if it is authentic, newer than `last_counter` and not absurdly
    far ahead of it; otherwise CommandRejected (or SbdFormatError for bytes that are not a
    command at all)."""
    reader = Reader(message)
    kind = reader.byte("format byte")
    if kind != KIND:
        raise SbdFormatError(f"format byte 0x{kind:02x} is not a command (0x81)")
    counter = reader.uint(4, "counter")
    number = reader.byte("command")
    if len(message) < reader.offset + TAG_BYTES:
        raise SbdFormatError("message ends inside the authentication tag")
    body, tag = message[:-TAG_BYTES], message[-TAG_BYTES:]
    if not hmac.compare_digest(tag, _tag(key, base, body)):
        raise CommandRejected("authentication failed (wrong key, another base, or altered)")
    if counter <= last_counter:
        raise CommandRejected(f"replayed or out of order: counter {counter}, last accepted "
                              f"{last_counter}")
    if last_counter and counter - last_counter > MAX_AHEAD:
        raise CommandRejected(f"counter {counter} is more than a year ahead of the last "
                              f"accepted ({last_counter}); a new key starts afresh")
    return Command(counter, number, body[reader.offset:])
