"""KISS framing between a host and a TNC (Chepponis & Karn): pure functions, no I/O.

A frame is `FEND type data FEND`; `type` holds the TNC port in its high nibble and the command
in its low nibble. Inside a frame FEND is sent as `FESC TFEND` and FESC as `FESC TFESC`.
Several FENDs in a row are not empty frames. The stream decoder never raises: whatever cannot
be a frame (bytes before the first FEND, a bad escape, an oversized frame) comes out as
`Garbage`, so the reader can count it and carry on with the next frame.
"""

from __future__ import annotations

from dataclasses import dataclass

from gateway.errors import FrameError

FEND, FESC, TFEND, TFESC = 0xC0, 0xDB, 0xDC, 0xDD
DATA = 0x0
# An AX.25 UI frame is at most 10 addresses (70 bytes) + 2 + 256 info: 1 KB leaves room for
# TNCs that allow longer info fields and still bounds what a noisy line can make us hold.
MAX_FRAME = 1024

_FEND_BYTE, _FESC_BYTE = bytes([FEND]), bytes([FESC])
_ESCAPED_FEND, _ESCAPED_FESC = bytes([FESC, TFEND]), bytes([FESC, TFESC])


@dataclass(frozen=True)
class KissFrame:
    port: int
    command: int
    data: bytes


@dataclass(frozen=True)
class Garbage:
    """Bytes that could not be a frame, and why (for the count in status and one log line)."""

    reason: str
    size: int


def escape(data: bytes) -> bytes:
    return data.replace(_FESC_BYTE, _ESCAPED_FESC).replace(_FEND_BYTE, _ESCAPED_FEND)


def unescape(data: bytes) -> bytes:
    """Undo `escape`, raising FrameError on a FESC not followed by TFEND or TFESC."""
    escapes = data.count(_FESC_BYTE)
    if escapes and escapes != data.count(_ESCAPED_FEND) + data.count(_ESCAPED_FESC):
        raise FrameError("FESC not followed by TFEND or TFESC")
    return data.replace(_ESCAPED_FEND, _FEND_BYTE).replace(_ESCAPED_FESC, _FESC_BYTE)


def encode(data: bytes, port: int = 0, command: int = DATA) -> bytes:
    """One KISS frame, FEND to FEND (the type byte is escaped too: port 12 data is 0xC0)."""
    if not 0 <= port <= 15 or not 0 <= command <= 15:
        raise FrameError(f"KISS port and command are 0-15, not {port} and {command}")
    return _FEND_BYTE + escape(bytes([port << 4 | command]) + data) + _FEND_BYTE


def decode(content: bytes) -> KissFrame:
    """The frame whose escaped content (between two FENDs) is `content`."""
    raw = unescape(content)
    if not raw:
        raise FrameError("empty KISS frame")
    return KissFrame(raw[0] >> 4, raw[0] & 0x0F, raw[1:])


class KissDecoder:
    """Turns a byte stream cut anywhere into frames and garbage, in order."""

    def __init__(self, max_frame: int = MAX_FRAME):
        self.max_frame = max_frame
        self._synced = False  # a FEND has been seen: we are inside or between frames
        self._partial = bytearray()
        self._skipped = 0  # bytes dropped from an oversized frame, or before the first FEND

    def feed(self, data: bytes) -> list[KissFrame | Garbage]:
        out: list[KissFrame | Garbage] = []
        start = 0
        while True:
            end = data.find(_FEND_BYTE, start)
            chunk = data[start:] if end < 0 else data[start:end]
            self._take(chunk)
            if end < 0:
                return out
            self._close(out)
            start = end + 1

    def _take(self, chunk: bytes) -> None:
        if not self._synced or self._skipped:
            self._skipped += len(chunk)
            return
        self._partial += chunk
        if len(self._partial) > 2 * self.max_frame:  # escaping at most doubles the length
            self._skipped, self._partial = len(self._partial), bytearray()

    def _close(self, out: list[KissFrame | Garbage]) -> None:
        """A FEND: end whatever was being collected and start a new frame."""
        if not self._synced:
            if self._skipped:
                out.append(Garbage("bytes before the first FEND", self._skipped))
        elif self._skipped:
            out.append(Garbage(f"frame longer than {self.max_frame} bytes", self._skipped))
        elif self._partial:
            out.append(self._frame(bytes(self._partial)))
        self._synced, self._skipped, self._partial = True, 0, bytearray()

    def _frame(self, content: bytes) -> KissFrame | Garbage:
        try:
            frame = decode(content)
        except FrameError as exc:
            return Garbage(str(exc), len(content))
        if len(frame.data) > self.max_frame:
            return Garbage(f"frame longer than {self.max_frame} bytes", len(content))
        return frame
