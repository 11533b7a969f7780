"""Commands from headquarters in mobile-terminated messages, authenticated and never replayed.

A command carries a counter that must grow from one command to the next, and an HMAC-SHA256
tag over the base id and every byte before it, with a key both sides hold
(`command_key_file`). A replayed message (old counter), a command meant for another base, or
one altered on the way fails; headquarters uses the current time as the counter, so it needs
no state to stay ahead (docs/sbd-format.md).
"""

from __future__ import annotations

import hashlib
import hmac
from dataclasses import dataclass
from pathlib import Path

from gateway.errors import CommandRejected, ConfigError, SbdFormatError
from gateway.sbd.wire import Reader

KIND = 0x81
TAG_BYTES = 16
DOMAIN = b"cangw-command-v1"
MT_MAX = 270  # the most a 9602 receives in one message
MIN_KEY = 16
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
    try:
        key = path.read_text(encoding="utf-8").strip().encode("utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise ConfigError(f"{path}: cannot read the command key: {exc}") from None
    if len(key) < MIN_KEY:
        raise ConfigError(f"{path}: the command key must be at least {MIN_KEY} characters")
    return key


def _tag(key: bytes, base: str, body: bytes) -> bytes:
    return hmac.new(key, DOMAIN + base.encode("ascii") + body, hashlib.sha256).digest()[:TAG_BYTES]


def sign(key: bytes, base: str, command: Command) -> bytes:
    """The MT message for `command`, for base `base`."""
    if not 0 < command.counter < 1 << 32:
        raise ValueError("counter: 1 to 2**32-1")
    body = bytes([KIND]) + command.counter.to_bytes(4, "big") + bytes([command.number]) \
        + command.argument
    message = body + _tag(key, base, body)
    if len(message) > MT_MAX:
        raise ValueError(f"command is {len(message)} bytes; an MT message holds {MT_MAX}")
    return message


def verify(key: bytes, base: str, message: bytes, last_counter: int) -> Command:
    """The command in `message` if it is authentic and newer than `last_counter`; otherwise
    CommandRejected (or SbdFormatError for bytes that are not a command at all)."""
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
    return Command(counter, number, body[reader.offset:])
