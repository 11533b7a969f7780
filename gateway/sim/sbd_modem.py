"""A simulated Iridium 9602/9603 SBD transceiver (a RockBLOCK) on a pseudo-terminal.

It speaks the AT commands of the Iridium ISU AT command reference that an SBD application
uses: AT+SBDWB with its READY prompt, binary message and 2-byte checksum; AT+SBDIX/SBDIXA
sessions with the six-field +SBDIX reply; AT+SBDRB's binary reply; AT+SBDD; AT+CSQ (0-5);
AT+SBDMTA and the unsolicited SBDRING; AT+CIER and its +CIEV:0,<bars> (signal) and
+CIEV:1,<0|1> (service) indications, sent when the value changes; AT+CGSN. Like the real
modem, a successful session does not clear the MO buffer, and MOMSN counts the messages sent.

Faults for the tests: `signal` (0: no signal, every session fails with MO status 32;
`indications=False` makes the modem refuse AT+CIER, as an older one would),
`fault` = an MO status to fail sessions with (32, 35, 36, ...) or "timeout" (the session
never answers), and `queue_mt()` (a message from headquarters waits at the gateway; with
ring alerts on, the modem announces it with SBDRING).
"""

from __future__ import annotations

import logging
import time
from dataclasses import dataclass
from pathlib import Path

from gateway.sbd.link import checksum
from gateway.sbd.wire import MO_MAX, MT_MAX
from gateway.sim.pty_device import PtyDevice

log = logging.getLogger(__name__)

IMEI = "300234010753370"
BINARY_TIMEOUT = 60.0  # the modem gives up waiting for SBDWB's bytes after 60 s


@dataclass(frozen=True)
class Session:
    command: str
    mo_status: int
    momsn: int
    mt_status: int
    mtmsn: int
    mt_length: int
    mt_queued: int
    sent: bytes | None  # the MO message delivered to the gateway in this session


class SimulatedSbdModem(PtyDevice):
    thread_name = "sim-sbd"

    def __init__(self, baudrate: int = 19200, signal: int = 4, link: Path | None = None,
                 session_time: float = 0.1, indications: bool = True):
        super().__init__(baudrate, link)
        self._signal = signal
        self.indications = indications
        self.reporting = (False, False, False)  # AT+CIER: mode, signal, service
        self.fault: int | str | None = None
        self.session_time = session_time
        self.echo = True
        self.ring_alerts = False
        self.mo_buffer = b""
        self.mt_buffer = b""
        self.momsn = 0
        self.mtmsn = 0
        self.sent: list[tuple[int, bytes]] = []  # (MOMSN, message) delivered to the gateway
        self.sessions: list[Session] = []
        self.commands: list[str] = []
        self._mt_queue: list[bytes] = []
        self._binary: tuple[int, float] | None = None  # SBDWB: bytes expected, deadline

    # -- control API --------------------------------------------------------------------------
    def queue_mt(self, message: bytes) -> None:
        """Headquarters sends a message: it waits at the gateway until a session fetches it."""
        if not 1 <= len(message) <= MT_MAX:
            raise ValueError(f"an MT message is 1 to {MT_MAX} bytes")
        with self._lock:
            self._mt_queue.append(message)
            if self.ring_alerts:
                self._write("\r\nSBDRING\r\n")

    @property
    def signal(self) -> int:
        return self._signal

    @signal.setter
    def signal(self, bars: int) -> None:
        """The sky changes: with AT+CIER on, the modem says so (+CIEV) at once."""
        with self._lock:
            before, self._signal = self._signal, bars
            enabled, signal_on, service_on = self.reporting
            if enabled and signal_on and bars != before:
                self._write(f"\r\n+CIEV:0,{bars}\r\n")
            if enabled and service_on and (bars > 0) != (before > 0):
                self._write(f"\r\n+CIEV:1,{int(bars > 0)}\r\n")

    @property
    def mt_queued(self) -> int:
        with self._lock:
            return len(self._mt_queue)

    # -- serving ------------------------------------------------------------------------------
    def _process(self, buffer: bytes) -> bytes:
        while True:
            if self._binary is not None:
                expected, deadline = self._binary
                if len(buffer) < expected + 2:
                    if time.monotonic() > deadline:
                        self._binary = None
                        self._write("\r\n1\r\n")  # timeout: no OK follows
                    return buffer
                message, buffer = buffer[:expected + 2], buffer[expected + 2:]
                self._binary = None
                self._finish_write(message[:-2], message[-2:])
                continue
            cut = buffer.find(b"\r")
            if cut < 0:
                return buffer
            raw, buffer = buffer[:cut], buffer[cut + 1:]
            line = raw.decode("latin-1").strip("\n ")
            if not line:
                continue
            self.attached().occupy(len(raw) + 1)
            if self.echo:
                self.attached().write(raw + b"\r")
            with self._lock:
                self.commands.append(line)
                self._execute(line)

    def _write(self, text: str) -> None:
        self.attached().write(text.encode("latin-1"))

    def _reply(self, *lines: str, ok: bool = True) -> None:
        self._write("".join(f"\r\n{line}\r\n" for line in lines) + ("\r\nOK\r\n" if ok else ""))

    def _execute(self, line: str) -> None:
        command = line.upper()
        simple = {"AT": (), "AT&K0": (), "AT&W0": (), "AT&D0": (), "ATE0": (), "ATE1": (),
                  "AT+CGSN": (IMEI,), "AT+CGMI": ("Iridium",),
                  "AT+CGMM": ("IRIDIUM 9600 Family SBD Transceiver",),
                  "AT+SBDMTA=0": (), "AT+SBDMTA=1": ()}
        if command in simple:
            if command.startswith("ATE"):
                self.echo = command == "ATE1"
            if command.startswith("AT+SBDMTA="):
                self.ring_alerts = command.endswith("1")
            self._reply(*simple[command])
        elif command in ("AT+CSQ", "AT+CSQF"):
            self._reply(f"+CSQ:{self.signal}")
        elif command.startswith("AT+CIER") and self.indications:
            self._indicator_reporting(command)
        elif command == "AT+SBDMTA?":
            self._reply(f"+SBDMTA:{int(self.ring_alerts)}")
        elif command.startswith("AT+SBDWB="):
            self._start_write(command.partition("=")[2])
        elif command in ("AT+SBDIX", "AT+SBDIXA"):
            self._session(command)
        elif command == "AT+SBDRB":
            data = self.mt_buffer
            self.attached().write(len(data).to_bytes(2, "big") + data + checksum(data))
            self._write("\r\nOK\r\n")
        elif command in ("AT+SBDD0", "AT+SBDD1", "AT+SBDD2"):
            which = command[-1]
            if which in "02":
                self.mo_buffer = b""
            if which in "12":
                self.mt_buffer = b""
            self._reply("0")
        else:
            self._write("\r\nERROR\r\n")

    def _indicator_reporting(self, command: str) -> None:
        if command == "AT+CIER?":
            self._reply("+CIER:{},{},{}".format(*(int(flag) for flag in self.reporting)))
            return
        values = command.partition("=")[2].split(",") if "=" in command else []
        if not all(value in ("0", "1") for value in values) or len(values) > 5:
            self._write("\r\nERROR\r\n")
            return
        flags = [value == "1" for value in values[:3]] + [False] * 3
        self.reporting = (flags[0], flags[1], flags[2])
        self._reply()

    def _start_write(self, argument: str) -> None:
        size = int(argument) if argument.isdigit() else 0
        if not 1 <= size <= MO_MAX:
            self._reply("3")
            return
        self._binary = (size, time.monotonic() + BINARY_TIMEOUT)
        self._write("\r\nREADY\r\n")

    def _finish_write(self, message: bytes, trailer: bytes) -> None:
        with self._lock:
            if trailer != checksum(message):
                self._reply("2")
                return
            self.mo_buffer = message
            self._reply("0")

    def _session(self, command: str) -> None:
        fault = self.fault
        if fault == "timeout":
            log.info("simulated SBD modem: session hangs (fault mode)")
            return
        time.sleep(self.session_time)
        if self.signal == 0 or isinstance(fault, int):
            status = 32 if self.signal == 0 else int(fault)  # type: ignore[arg-type]
            self._record(command, status, 2, 0, b"", None)
            return
        sent = self.mo_buffer or None
        if sent is not None:
            self.sent.append((self.momsn, sent))
        mt = self._mt_queue.pop(0) if self._mt_queue else None
        if mt is not None:
            self.mtmsn = (self.mtmsn + 1) % 65536
            self.mt_buffer = mt
        self._record(command, 0, 1 if mt else 0, self.mtmsn if mt else 0, mt or b"", sent)
        if sent is not None:
            self.momsn = (self.momsn + 1) % 65536

    def _record(self, command: str, mo_status: int, mt_status: int, mtmsn: int, mt: bytes,
                sent: bytes | None) -> None:
        session = Session(command, mo_status, self.momsn, mt_status, mtmsn, len(mt),
                          len(self._mt_queue), sent)
        self.sessions.append(session)
        self._reply(f"+SBDIX: {mo_status}, {self.momsn}, {mt_status}, {mtmsn}, {len(mt)}, "
                    f"{len(self._mt_queue)}")
