"""Bit-level fields for the version 2 batch (docs/sbd-format.md): fixed-width fields and
exp-Golomb numbers, most significant bit first, so that what an alert carries costs close to
what it says rather than whole bytes.

Exp-Golomb of order k writes v ≥ 0 as q = (v >> k) + 1 in Elias-gamma (as many 0 bits as q has
bits after its first, then q) followed by the k low bits of v: order 0 writes 0 as `1`, 1 as
`010`, 2 as `011`, 3 as `00100`. A larger k suits larger typical values; the encoder picks, for
each field of a batch, the k that makes it shortest and writes it in the batch.
"""

from __future__ import annotations

from collections.abc import Iterable

from gateway.errors import SbdFormatError

MAX_K = 15  # a k is written in 4 bits
MAX_PREFIX = 64  # 64-bit values at most


def golomb_bits(value: int, k: int) -> int:
    """How many bits `value` takes in exp-Golomb of order `k`."""
    return 2 * ((value >> k) + 1).bit_length() - 1 + k


def best_k(values: Iterable[int]) -> int:
    """The order that writes `values` in the fewest bits."""
    listed = list(values)
    return min(range(MAX_K + 1), key=lambda k: sum(golomb_bits(v, k) for v in listed))


class BitWriter:
    def __init__(self) -> None:
        self._value = 0
        self._length = 0

    def bits(self, value: int, width: int) -> None:
        if not 0 <= value < 1 << width:
            raise ValueError(f"{value} does not fit {width} bits")
        self._value = self._value << width | value
        self._length += width

    def flag(self, value: bool) -> None:
        self.bits(int(value), 1)

    def golomb(self, value: int, k: int) -> None:
        if not 0 <= value < 1 << 64:
            raise ValueError(f"{value} out of range")
        q = (value >> k) + 1
        self.bits(0, q.bit_length() - 1)
        self.bits(q, q.bit_length())
        self.bits(value & ((1 << k) - 1), k)

    def raw(self, data: bytes) -> None:
        for octet in data:
            self.bits(octet, 8)

    def to_bytes(self) -> bytes:
        """The bits written, padded with 0 bits to a whole byte."""
        pad = -self._length % 8
        return (self._value << pad).to_bytes((self._length + pad) // 8, "big")

    def __len__(self) -> int:
        """Bytes once padded."""
        return -(-self._length // 8)


class BitReader:
    """Reads fields; running out of bits or a malformed number is an SbdFormatError."""

    def __init__(self, data: bytes):
        self._value = int.from_bytes(data, "big")
        self._left = len(data) * 8

    def bits(self, width: int, what: str) -> int:
        if width > self._left:
            raise SbdFormatError(f"message ends inside {what}")
        self._left -= width
        return (self._value >> self._left) & ((1 << width) - 1)

    def flag(self, what: str) -> bool:
        return bool(self.bits(1, what))

    def golomb(self, k: int, what: str) -> int:
        zeros = 0
        while not self.bits(1, what):
            zeros += 1
            if zeros > MAX_PREFIX:
                raise SbdFormatError(f"{what}: number longer than 64 bits")
        q = 1 << zeros | self.bits(zeros, what)
        value = (q - 1) << k | self.bits(k, what)
        if value >= 1 << 64:
            raise SbdFormatError(f"{what}: number larger than 64 bits")
        return value

    def raw(self, count: int, what: str) -> bytes:
        return bytes(self.bits(8, what) for _ in range(count))

    def end(self) -> None:
        """Only the padding may be left: fewer than 8 bits, all 0."""
        if self._left >= 8 or self._value & ((1 << self._left) - 1):
            raise SbdFormatError(f"{self._left} unexpected bits after the message")
