"""The base's HF radio on one serial link: a KISS TNC, or a radio that prints messages as lines.

Bytes from the port become `Heard` reports, `Ignored` traffic (another TNC port, connected-mode
frames, the radio's own chatter) and `Garbage` (what cannot be a frame); acknowledgements
become bytes: an AX.25 UI frame in KISS mode, the radio's own command in text mode. The port
is any pyserial URL: /dev/ttyUSB0, socket://127.0.0.1:8001 (direwolf's KISS TCP port),
spy:///dev/ttyUSB0?file=wire.txt to trace the wire.
"""

from __future__ import annotations

import contextlib
import re
from collections import deque
from dataclasses import dataclass, replace

import serial

from gateway.errors import FrameError, LinkError
from gateway.hf import kiss
from gateway.hf.ax25 import MAX_INFO, Address, NotTextFrame, UiFrame
from gateway.hf.callsign import normalise_callsign
from gateway.hf.config import HfConfig
from gateway.hf.kiss import Garbage, KissDecoder

MAX_LINE = 1024
READ_CHUNK = 4096
WRITE_TIMEOUT = 10.0


@dataclass(frozen=True)
class Heard:
    """One message heard on the radio."""

    sender: str | None  # callsign (or selcall address); None for a line the pattern missed
    text: str
    raw: bytes  # the AX.25 frame, or the line, as received
    unmatched: bool = False  # text mode: the line did not match `line_pattern`
    latin1: bool = False  # the bytes were not UTF-8 and were read as Latin-1


@dataclass(frozen=True)
class Ignored:
    """Traffic that is not for the gateway (counted, not stored)."""

    reason: str


Received = Heard | Ignored | Garbage


def _decode_text(data: bytes) -> tuple[str, bool]:
    try:
        return data.decode("utf-8"), False
    except UnicodeDecodeError:
        return data.decode("latin-1"), True


class KissDialect:
    """AX.25 UI frames in KISS frames, to and from the TNC port in `kiss_port`."""

    def __init__(self, config: HfConfig):
        self.base = Address.parse(config.callsign)
        self.port = config.kiss_port
        self.decoder = KissDecoder()

    def decode(self, data: bytes) -> list[Received]:
        out: list[Received] = []
        for item in self.decoder.feed(data):
            if isinstance(item, Garbage):
                out.append(item)
            elif item.port != self.port or item.command != kiss.DATA:
                out.append(Ignored(f"KISS port {item.port} command {item.command}"))
            else:
                out.append(self._heard(item.data))
        return out

    def _heard(self, data: bytes) -> Received:
        try:
            frame = UiFrame.decode(data)
        except NotTextFrame as exc:
            return Ignored(str(exc))
        except FrameError as exc:
            return Garbage(str(exc), len(data))
        text, latin1 = _decode_text(frame.info)
        return Heard(str(frame.source), text.rstrip("\r\n"), data, latin1=latin1)

    def encode_ack(self, recipient: str, text: str) -> bytes:
        """One UI frame from the base to the sender (AX.25 v2 command: C set on the destination)."""
        frame = UiFrame(Address.parse(recipient, flag=True), replace(self.base, flag=False),
                        text.encode("ascii", "replace")[:MAX_INFO])
        return kiss.encode(frame.encode(), self.port)


class TextDialect:
    """A radio that prints each received message as a line and takes commands as lines."""

    def __init__(self, config: HfConfig):
        self.pattern = re.compile(config.line_pattern)
        self.ignore = re.compile(config.ignore_pattern) if config.ignore_pattern else None
        self.command = config.ack_command
        self._partial = bytearray()
        self._skipping = False  # inside a line too long to be a message
        self._sent: deque[str] = deque(maxlen=8)  # our recent commands, to know their echo

    def decode(self, data: bytes) -> list[Received]:
        out: list[Received] = []
        *lines, rest = data.replace(b"\r", b"\n").split(b"\n")
        for piece in lines:
            self._collect(piece, out)
            if not self._skipping:
                out.extend(self._line(bytes(self._partial)))
            self._partial.clear()
            self._skipping = False
        self._collect(rest, out)
        return out

    def _collect(self, piece: bytes, out: list[Received]) -> None:
        if self._skipping:
            return
        self._partial += piece
        if len(self._partial) > MAX_LINE:
            out.append(Garbage(f"line longer than {MAX_LINE} bytes", len(self._partial)))
            self._partial.clear()
            self._skipping = True

    def _line(self, raw: bytes) -> list[Received]:
        text, latin1 = _decode_text(raw)
        line = text.strip()
        if not line:
            return []
        if line in self._sent:
            return [Ignored("echo of our command")]
        if self.ignore is not None and self.ignore.search(line):
            return [Ignored("matches ignore_pattern")]
        match = self.pattern.search(line)
        if match is None:
            return [Heard(None, line, raw, unmatched=True, latin1=latin1)]
        sender = (match.group("sender") or "").strip()
        return [Heard(normalise_callsign(sender) or sender or None, match.group("text").strip(),
                      raw, latin1=latin1)]

    def encode_ack(self, recipient: str, text: str) -> bytes:
        if self.command is None:
            raise FrameError("no ack_command configured for this radio")
        line = self.command.format(sender=recipient, text=text.replace('"', "'"))
        self._sent.append(line)
        return (line + "\r").encode("ascii", "replace")


def _keep_input_on_open(port: serial.SerialBase) -> None:
    """pyserial empties the input as it opens a port (socket:// reads and drops what has arrived,
    a tty is flushed): a frame the TNC sent as we connected would be lost. Nothing else here
    empties the input, so the port keeps every byte."""
    for name in ("reset_input_buffer", "_reset_input_buffer"):
        if hasattr(port, name):
            setattr(port, name, lambda: None)


class HfLink:
    """The serial port and its dialect. Port failures raise LinkError (the owner reconnects)."""

    def __init__(self, config: HfConfig):
        self.config = config
        self.dialect = KissDialect(config) if config.mode == "kiss" else TextDialect(config)
        self._serial: serial.SerialBase | None = None

    def open(self) -> None:
        try:
            port = serial.serial_for_url(self.config.port, baudrate=self.config.baudrate,
                                         timeout=0.2, write_timeout=WRITE_TIMEOUT,
                                         do_not_open=True)
            _keep_input_on_open(port)
            port.open()
        except (serial.SerialException, OSError, ValueError) as exc:
            raise LinkError(f"cannot open {self.config.port}: {exc}") from exc
        self._serial = port

    def close(self) -> None:
        port, self._serial = self._serial, None
        if port is not None:
            with contextlib.suppress(serial.SerialException, OSError):
                port.close()

    def receive(self, timeout: float) -> list[Received]:
        """What arrived within `timeout` seconds (an empty list when nothing did)."""
        port = self._port()
        try:
            port.timeout = timeout
            data = port.read(1)
            if data:  # then whatever else is there, without waiting (in_waiting is 0/1 on sockets)
                port.timeout = 0
                data += port.read(READ_CHUNK)
        except (serial.SerialException, OSError) as exc:
            raise LinkError(f"{self.config.port}: {exc}") from exc
        return self.dialect.decode(data) if data else []

    def send_ack(self, recipient: str, text: str) -> None:
        """Write one acknowledgement; FrameError when it cannot be addressed to `recipient`."""
        data = self.dialect.encode_ack(recipient, text)
        port = self._port()
        try:
            port.write(data)
            port.flush()
        except (serial.SerialException, OSError) as exc:
            raise LinkError(f"{self.config.port}: {exc}") from exc

    def _port(self) -> serial.SerialBase:
        if self._serial is None:
            raise LinkError("HF port not open")
        return self._serial
