"""An AT-command channel over one serial port: commands and their replies, unsolicited codes aside.

Why our own engine rather than python-gsmmodem-new's `GsmModem`: its reader thread dies on one
non-UTF-8 byte, it swallows a +CMTI that arrives during a command, handles only the first of a
burst, and lets another thread's command land between the two writes of an SMS send. Here the
reader never dies (bytes are decoded as latin-1, every exception is logged and survived), an
unsolicited code is routed to the URC queue whether or not a command is waiting, and the
prompt-and-payload of AT+CMGS happens under one lock. The library's PDU codec is still used.
"""

from __future__ import annotations

import contextlib
import logging
import queue
import re
import threading
import time
from dataclasses import dataclass, field

import serial

from gateway.errors import CommandError, LinkError, ModemRestarted, ModemTimeout, PortBusy

log = logging.getLogger(__name__)
wire = logging.getLogger("gateway.wire")

FINAL_OK = "OK"
FINAL_ERRORS = ("ERROR", "+CME ERROR", "+CMS ERROR")
CALL_FINALS = ("NO CARRIER", "BUSY", "NO ANSWER", "NO DIALTONE", "CONNECT")
URC_PREFIXES = ("+CMTI:", "+CDSI:", "RING", "+CRING:", "+CLIP:", "+CUSD:", "NO CARRIER",
                "+CMT:", "+CDS:", "^SMMEMFULL", "+DTMF:", "+QTONEDET:", "+CIEV:", "^RSSI:",
                "+CFUN:", "+CPIN: NOT READY", "Call Ready", "SMS Ready", "RDY", "+CREG:",
                "SBDRING")
# notices whose PDU follows on the next line (a status report routed to the host, AT+CNMI ds=1)
TWO_LINE_URCS = ("+CDS:",)
PROMPT = "> "  # AT+CMGS asks for its text
READY = "READY"  # AT+SBDWB asks for its binary message
BLOB_FIRST = ("\x00", "\x01")  # a binary reply starts with its length, below 512
# Some modems announce a full SMS storage with an unsolicited "+CMS ERROR: 322"; only commands
# that store a message can get it as their own answer.
MEMORY_FULL = "+CMS ERROR: 322"
STORING = ("AT+CMGW", "AT+CMSS", "AT+CPMS")
# What a modem prints only as it starts: a command in progress then will never be answered.
BOOTED = ("RDY", "Call Ready", "SMS Ready")


@dataclass
class _Pending:
    command: str
    expect: str | None
    prompt_marker: str | None = None
    binary_reply: bool = False
    blob: bytes | None = None
    lines: list[str] = field(default_factory=list)
    final: str | None = None
    done: threading.Event = field(default_factory=threading.Event)
    prompt: threading.Event = field(default_factory=threading.Event)


class AtChannel:
    """One serial port speaking AT commands. `urcs` receives every unsolicited line."""

    def __init__(self, url: str, baudrate: int = 115200, default_timeout: float = 10.0,
                 exclusive: bool = True):
        self.url = url
        self.baudrate = baudrate
        self.default_timeout = default_timeout
        self.exclusive = exclusive  # lock the port (flock) so another process can tell it is in use
        self.urcs: queue.Queue[tuple[float, str]] = queue.Queue()
        self._serial: serial.SerialBase | None = None
        self._reader: threading.Thread | None = None
        self._command_lock = threading.RLock()
        self._pending: _Pending | None = None
        self._closing = threading.Event()
        self._failure: BaseException | None = None
        self.last_rx = 0.0
        self._urc_head: str | None = None  # a two-line notice's first line, waiting for its PDU

    # -- life cycle ---------------------------------------------------------------------------
    def open(self) -> None:
        try:
            self._serial = serial.serial_for_url(
                self.url, baudrate=self.baudrate, timeout=0.2, write_timeout=5,
                rtscts=False, dsrdtr=False, exclusive=self.exclusive or None)
        except (serial.SerialException, OSError, ValueError) as exc:
            if "exclusively lock" in str(exc):
                raise PortBusy(f"{self.url} is in use by another process") from exc
            raise LinkError(f"cannot open {self.url}: {exc}") from exc
        self._closing.clear()
        self._failure = None
        self._reader = threading.Thread(target=self._read_loop, name="at-reader", daemon=True)
        self._reader.start()

    def close(self) -> None:
        self._closing.set()
        port, self._serial = self._serial, None
        if port is not None:
            with contextlib.suppress(serial.SerialException, OSError):
                port.close()
        if self._reader is not None and self._reader is not threading.current_thread():
            self._reader.join(timeout=2)
        self._fail_pending("channel closed")

    @property
    def alive(self) -> bool:
        """True while the port is open and the reader thread runs."""
        return self._serial is not None and self._reader is not None and self._reader.is_alive()

    # -- commands -----------------------------------------------------------------------------
    def command(self, command: str, expect: str | None = None, timeout: float | None = None,
                quiet_limit: float | None = None) -> list[str]:
        """Send one command and return its reply lines (without the final OK). A long reply
        (a full SIM's listing) may take `timeout`, but fails sooner when the line stays silent
        for `quiet_limit` seconds: a modem that hangs is found without waiting it out."""
        with self._command_lock:
            pending = self._start(_Pending(command, expect))
            self._write(command + "\r")
            return self._finish(pending, timeout, quiet_limit)

    def command_with_prompt(self, command: str, payload: str, expect: str | None = None,
                            timeout: float = 60.0) -> list[str]:
        """A command that answers '> ' and then takes a payload ended by Ctrl-Z (AT+CMGS)."""
        return self._prompted(_Pending(command, expect, PROMPT),
                              (payload + "\x1a").encode("latin-1", errors="replace"), timeout)

    def command_with_binary(self, command: str, payload: bytes,
                            timeout: float = 10.0) -> list[str]:
        """A command that answers READY and then takes raw bytes (AT+SBDWB: message and
        checksum); the reply lines follow."""
        return self._prompted(_Pending(command, None, READY), payload, timeout)

    def command_binary_reply(self, command: str, timeout: float | None = None) -> bytes:
        """A command whose reply is a binary block (AT+SBDRB: a 2-byte length, that many
        bytes and a 2-byte checksum) before the final OK; returns the whole block."""
        with self._command_lock:
            pending = self._start(_Pending(command, None, binary_reply=True))
            self._write(command + "\r")
            self._finish(pending, timeout)
            if pending.blob is None:
                raise LinkError(f"{command!r}: OK without the binary reply")
            return pending.blob

    def _prompted(self, pending: _Pending, payload: bytes, timeout: float) -> list[str]:
        with self._command_lock:
            self._start(pending)
            self._write(pending.command + "\r")
            deadline = time.monotonic() + min(timeout, 10.0)
            while not pending.prompt.wait(0.05):
                if pending.done.is_set():
                    return self._finish(pending, 0)
                if time.monotonic() > deadline:
                    self._write("\x1b")  # ESC cancels, so the modem does not eat the next command
                    self._abandon(pending)
                    marker = (pending.prompt_marker or "").strip()
                    raise ModemTimeout(f"no {marker!r} prompt after "
                                       f"{pending.command!r}")
            self._write_bytes(payload)
            return self._finish(pending, timeout)

    def write_raw(self, text: str) -> None:
        """Bytes that are not a command and get no reply (ESC, a blind reset)."""
        with self._command_lock:
            self._check_usable()
            self._write(text)

    def _start(self, pending: _Pending) -> _Pending:
        self._check_usable()
        self._pending = pending
        return pending

    def _finish(self, pending: _Pending, timeout: float | None,
                quiet_limit: float | None = None) -> list[str]:
        wait = self.default_timeout if timeout is None else timeout
        started = time.monotonic()
        while not pending.done.wait(min(wait, 0.2) if quiet_limit else wait):
            now = time.monotonic()
            quiet = quiet_limit is not None and now - max(started, self.last_rx) > quiet_limit
            if quiet or now - started >= wait:
                self._abandon(pending)
                raise ModemTimeout(f"no reply to {pending.command!r} within "
                                   f"{now - started:.0f} s")
        self._pending = None
        final = pending.final or ""
        if final == FINAL_OK or final.startswith(CALL_FINALS):
            return pending.lines
        if final.startswith(FINAL_ERRORS):
            raise CommandError(pending.command, final)
        if final in BOOTED:
            raise ModemRestarted(f"{self.url}: the modem restarted during {pending.command!r} "
                                 f"({final})")
        raise LinkError(f"{pending.command!r}: {final}")

    def _abandon(self, pending: _Pending) -> None:
        if self._pending is pending:
            self._pending = None

    def _check_usable(self) -> None:
        if self._failure is not None:
            raise LinkError(f"{self.url}: {self._failure}")
        if not self.alive:
            raise LinkError(f"{self.url}: not open")

    def _write(self, text: str) -> None:
        port = self._serial
        if port is None:
            raise LinkError(f"{self.url}: not open")
        wire.debug("-> %s", redact_wire(text))
        self._send(port, text.encode("latin-1", errors="replace"))

    def _write_bytes(self, data: bytes) -> None:
        port = self._serial
        if port is None:
            raise LinkError(f"{self.url}: not open")
        wire.debug("-> <%d bytes>", len(data))
        self._send(port, data)

    def _send(self, port: serial.SerialBase, data: bytes) -> None:
        try:
            port.write(data)
        except (serial.SerialException, OSError) as exc:
            self._failure = exc
            raise LinkError(f"{self.url}: write failed: {exc}") from exc

    def _fail_pending(self, reason: str) -> None:
        pending = self._pending
        if pending is not None and not pending.done.is_set():
            pending.final = reason
            pending.done.set()

    # -- reader -------------------------------------------------------------------------------
    def _read_loop(self) -> None:
        buffer = ""
        while not self._closing.is_set():
            port = self._serial
            if port is None:
                break
            try:
                data = port.read(port.in_waiting or 1)
            except (serial.SerialException, OSError, TypeError, AttributeError) as exc:
                if not self._closing.is_set():
                    log.warning("serial link %s lost: %s", self.url, exc)
                    self._failure = exc
                self._fail_pending(f"serial link lost: {exc}")
                break
            if not data:
                continue
            self.last_rx = time.monotonic()
            buffer += data.decode("latin-1")
            try:
                buffer = self._consume(buffer)
            except Exception:  # the reader must never die on what a modem sends
                log.exception("unexpected error while reading from %s; continuing", self.url)
                buffer = ""

    def _consume(self, buffer: str) -> str:
        while True:
            pending = self._pending
            if pending and pending.prompt_marker == PROMPT and not pending.prompt.is_set():
                stripped = buffer.lstrip("\r\n")
                if stripped.startswith(">"):
                    wire.debug("<- >")
                    pending.prompt.set()
                    buffer = stripped[1:].lstrip(" ")
                    continue
            if pending and pending.binary_reply and pending.blob is None:
                buffer, waiting = self._take_blob(pending, buffer)
                if waiting:
                    return buffer
            newline = buffer.find("\n")
            if newline < 0:
                return buffer
            line, buffer = buffer[:newline].strip("\r "), buffer[newline + 1:]
            if line:
                self._handle_line(line)

    @staticmethod
    def _take_blob(pending: _Pending, buffer: str) -> tuple[str, bool]:
        """Cut a binary reply (2-byte length, data, 2-byte checksum) off the buffer; True while
        more bytes are needed. Anything that does not start like one is left to the lines."""
        stripped = buffer.lstrip("\r\n")
        if stripped.startswith(pending.command):  # the echo, when the modem echoes
            stripped = stripped[len(pending.command):].lstrip("\r\n")
        if not stripped or pending.command.startswith(stripped):  # nothing yet, or half an echo
            return buffer, True
        if not stripped.startswith(BLOB_FIRST):
            pending.binary_reply = False  # ERROR or an unsolicited line: read as lines
            return buffer, False
        if len(stripped) < 2:
            return buffer, True
        size = 2 + int.from_bytes(stripped[:2].encode("latin-1"), "big") + 2
        if len(stripped) < size:
            return buffer, True
        pending.blob = stripped[:size].encode("latin-1")
        wire.debug("<- <%d bytes>", size)
        return stripped[size:], False

    def _handle_line(self, line: str) -> None:
        wire.debug("<- %s", redact_wire(line))
        if self._urc_head is not None:  # the PDU of a +CDS: one notice, never a reply
            self.urcs.put((time.monotonic(), f"{self._urc_head}\n{line}"))
            self._urc_head = None
            return
        if line.startswith(TWO_LINE_URCS):
            self._urc_head = line
            return
        pending = self._pending
        if pending is not None and not pending.done.is_set():
            if line == pending.command or line == pending.command.strip():
                return  # echo
            if line == MEMORY_FULL and not pending.command.upper().startswith(STORING):
                self.urcs.put((time.monotonic(), line))  # the modem's notice, not our answer
                return
            if line in BOOTED:  # the modem restarted: the command will never be answered
                self.urcs.put((time.monotonic(), line))
                pending.final = line
                pending.done.set()
                return
            if pending.prompt_marker == READY and line == READY and not pending.prompt.is_set():
                pending.prompt.set()
                return
            if self._is_final(line, pending):
                pending.final = line
                pending.done.set()
                return
            expected = pending.expect and line.startswith(pending.expect)
            if not expected and line.startswith(URC_PREFIXES):
                self.urcs.put((time.monotonic(), line))
                return
            pending.lines.append(line)
            return
        if line.startswith(URC_PREFIXES) or line.startswith("+CMS ERROR"):
            self.urcs.put((time.monotonic(), line))  # an error with no command: memory full
        else:
            log.debug("unsolicited line ignored (late reply?): %s", redact_wire(line))

    @staticmethod
    def _is_final(line: str, pending: _Pending) -> bool:
        if line == FINAL_OK or line.startswith(FINAL_ERRORS):
            return True
        dialling = pending.command.upper().startswith(("ATD", "ATA"))
        return dialling and line.startswith(CALL_FINALS)


_HEX_LINE = re.compile(r"^[0-9A-Fa-f]{20,}\x1a?$")
_DIGITS = re.compile(r"\+?\d{6,}")


def redact_wire(text: str) -> str:
    """A wire line safe for logs: PDUs and phone numbers are replaced by their length."""
    text = text.strip("\r\n")
    if _HEX_LINE.match(text):
        return f"<pdu {len(text) // 2} bytes>"
    return _DIGITS.sub(lambda m: f"<{len(m.group())} digits>", text)
