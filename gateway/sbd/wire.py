"""The building blocks of the satellite wire format (docs/sbd-format.md): varints, the common
header, and a reader that turns every shortfall into one SbdFormatError.

Every multi-byte integer is big-endian unless it is a varint; varints are unsigned LEB128 in
their shortest form, so that each value has exactly one encoding.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from gateway.errors import SbdFormatError

MAX_VARINT_BYTES = 10  # 64-bit values
MO_MAX, MT_MAX = 340, 270  # bytes a 9602/9603 sends, receives in one message
BASE_ID = re.compile(r"[A-Z0-9]{2,8}")
INSTANCE = re.compile(r"[0-9a-f]{4}")


def varint(value: int) -> bytes:
    if not 0 <= value < 1 << 64:
        raise ValueError(f"varint out of range: {value}")
    out = bytearray()
    while True:
        low, value = value & 0x7F, value >> 7
        if value:
            out.append(low | 0x80)
        else:
            out.append(low)
            return bytes(out)


def zigzag(value: int) -> int:
    """A signed number as an unsigned one that stays small when the number is small."""
    return value * 2 if value >= 0 else -value * 2 - 1


def unzigzag(value: int) -> int:
    return value // 2 if value % 2 == 0 else -(value + 1) // 2


class Reader:
    """Reads fields from a message; running out of bytes or a bad field is an SbdFormatError."""

    def __init__(self, data: bytes):
        self.data = bytes(data)
        self.offset = 0

    def take(self, count: int, what: str) -> bytes:
        end = self.offset + count
        if end > len(self.data):
            raise SbdFormatError(f"message ends inside {what} (offset {self.offset}, "
                                 f"{count} bytes needed, {len(self.data) - self.offset} left)")
        chunk, self.offset = self.data[self.offset:end], end
        return chunk

    def byte(self, what: str) -> int:
        return self.take(1, what)[0]

    def uint(self, size: int, what: str) -> int:
        return int.from_bytes(self.take(size, what), "big")

    def varint(self, what: str) -> int:
        value = shift = 0
        for index in range(MAX_VARINT_BYTES):
            octet = self.byte(what)
            value |= (octet & 0x7F) << shift
            shift += 7
            if not octet & 0x80:
                if octet == 0 and index > 0:
                    raise SbdFormatError(f"{what}: varint not in its shortest form")
                if value >= 1 << 64:
                    raise SbdFormatError(f"{what}: varint larger than 64 bits")
                return value
        raise SbdFormatError(f"{what}: varint longer than {MAX_VARINT_BYTES} bytes")

    def short_text(self, what: str, pattern: re.Pattern | None = None,
                   encoding: str = "ascii") -> str:
        """A length byte (1-255) and that many bytes of text."""
        length = self.byte(f"{what} length")
        if length == 0:
            raise SbdFormatError(f"{what}: empty")
        try:
            text = self.take(length, what).decode(encoding)
        except UnicodeDecodeError as exc:
            raise SbdFormatError(f"{what}: not {encoding}: {exc.reason}") from None
        if pattern is not None and not pattern.fullmatch(text):
            raise SbdFormatError(f"{what}: {text!r} is not allowed here")
        return text

    def end(self) -> None:
        if self.offset != len(self.data):
            raise SbdFormatError(f"{len(self.data) - self.offset} unexpected bytes after the "
                                 f"message (offset {self.offset})")


def short_text(text: str, what: str, encoding: str = "ascii") -> bytes:
    raw = text.encode(encoding)
    if not 1 <= len(raw) <= 255:
        raise ValueError(f"{what}: 1 to 255 bytes needed, got {len(raw)}")
    return bytes([len(raw)]) + raw


@dataclass(frozen=True)
class Header:
    """Who sent a message and when: the start of every message from a base."""

    kind: int
    base: str
    instance: str
    time: int  # Unix seconds, UTC

    def encode(self) -> bytes:
        if not BASE_ID.fullmatch(self.base):
            raise ValueError(f"base id {self.base!r}: 2 to 8 capital letters or digits")
        if not INSTANCE.fullmatch(self.instance):
            raise ValueError(f"store instance {self.instance!r}: 4 lowercase hex digits")
        if not 0 <= self.time < 1 << 32:
            raise ValueError(f"time {self.time} does not fit 32 bits")
        return (bytes([self.kind]) + short_text(self.base, "base id")
                + bytes.fromhex(self.instance) + self.time.to_bytes(4, "big"))

    @classmethod
    def read(cls, reader: Reader) -> Header:
        if len(reader.data) > MO_MAX:
            raise SbdFormatError(f"the message is {len(reader.data)} bytes, longer than {MO_MAX} "
                                 "bytes: no base sends that")
        kind = reader.byte("format byte")
        base = reader.short_text("base id", BASE_ID)
        instance = reader.take(2, "store instance").hex()
        time = reader.uint(4, "reference time")
        return cls(kind, base, instance, time)
