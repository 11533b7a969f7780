"""AX.25 UI frames (AX.25 v2.0): the unconnected frames HF stations send text in. No I/O.

Layout: destination, source and up to 8 digipeater addresses of 7 bytes each (six callsign
characters shifted left by one, space padded, then `C/H R R SSID ext`; ext set on the last
address only), control 0x03 (UI), PID 0xF0 (no layer 3), then the info field (at most 256
bytes). Decoding is strict and raises only FrameError, so noise heard on the channel can never
be mistaken for a station.
"""

from __future__ import annotations

from dataclasses import dataclass

from gateway.errors import FrameError
from gateway.hf.callsign import CALL, CALLSIGN

UI, UI_POLL = 0x03, 0x13
PID_NO_LAYER3 = 0xF0
MAX_INFO = 256
MAX_DIGIPEATERS = 8
ADDRESS_LEN = 7
_RESERVED = 0x60  # the two R bits, set as the standard asks
_FLAG = 0x80  # C bit on destination/source, H ("has been repeated") bit on a digipeater


class NotTextFrame(FrameError):
    """A well-addressed AX.25 frame that is not a UI text frame (connected-mode traffic)."""


@dataclass(frozen=True)
class Address:
    call: str
    ssid: int = 0
    flag: bool = False

    def __str__(self) -> str:
        return f"{self.call}-{self.ssid}" if self.ssid else self.call

    @classmethod
    def parse(cls, text: str, flag: bool = False) -> Address:
        """`9Q2KAM-1` -> Address('9Q2KAM', 1); FrameError when it is not an AX.25 address."""
        match = CALLSIGN.fullmatch(text.strip().upper())
        if match is None:  # the text may be an identity: it stays out of the message (and logs)
            raise FrameError("not an AX.25 callsign (up to 6 letters or digits, SSID 0-15)")
        return cls(match.group(1), int(match.group(2) or 0), flag)

    def encode(self, last: bool) -> bytes:
        if not CALL.fullmatch(self.call) or not 0 <= self.ssid <= 15:
            raise FrameError("not an AX.25 address (up to 6 capitals or digits, SSID 0-15)")
        shifted = bytes(ord(ch) << 1 for ch in self.call.ljust(6))
        return shifted + bytes([(_FLAG if self.flag else 0) | _RESERVED | self.ssid << 1 | last])

    @classmethod
    def decode(cls, chunk: bytes) -> Address:
        if any(byte & 1 for byte in chunk[:6]):
            raise FrameError("address extension bit set inside a callsign")
        call = bytes(byte >> 1 for byte in chunk[:6]).decode("ascii").rstrip(" ")
        if not CALL.fullmatch(call):
            raise FrameError("invalid callsign bytes")
        return cls(call, (chunk[6] >> 1) & 0x0F, bool(chunk[6] & _FLAG))


@dataclass(frozen=True)
class UiFrame:
    destination: Address
    source: Address
    info: bytes
    digipeaters: tuple[Address, ...] = ()

    def encode(self) -> bytes:
        if len(self.digipeaters) > MAX_DIGIPEATERS:
            raise FrameError(f"at most {MAX_DIGIPEATERS} digipeaters, not {len(self.digipeaters)}")
        if len(self.info) > MAX_INFO:
            raise FrameError(f"info field of {len(self.info)} bytes; at most {MAX_INFO}")
        addresses = (self.destination, self.source, *self.digipeaters)
        head = b"".join(a.encode(last=i == len(addresses) - 1) for i, a in enumerate(addresses))
        return head + bytes([UI, PID_NO_LAYER3]) + self.info

    @classmethod
    def decode(cls, data: bytes) -> UiFrame:
        addresses = []
        offset = 0
        while True:
            chunk = data[offset:offset + ADDRESS_LEN]
            if len(chunk) < ADDRESS_LEN:
                raise FrameError("frame ends inside the address field")
            addresses.append(Address.decode(chunk))
            offset += ADDRESS_LEN
            if chunk[6] & 1:
                break
            if len(addresses) == 2 + MAX_DIGIPEATERS:
                raise FrameError(f"more than {MAX_DIGIPEATERS} digipeaters")
        if len(addresses) < 2:
            raise FrameError("only one address")
        control, pid = data[offset:offset + 1], data[offset + 1:offset + 2]
        if control not in (bytes([UI]), bytes([UI_POLL])):
            raise NotTextFrame(f"not a UI frame (control {control.hex() or 'missing'})")
        if pid != bytes([PID_NO_LAYER3]):
            raise NotTextFrame(f"not a text frame (PID {pid.hex() or 'missing'})")
        info = data[offset + 2:]
        if len(info) > MAX_INFO:
            raise FrameError(f"info field of {len(info)} bytes; at most {MAX_INFO}")
        return cls(addresses[0], addresses[1], info, tuple(addresses[2:]))
