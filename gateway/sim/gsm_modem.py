"""A simulated GSM modem (a SIM800-like subset of 3GPP TS 27.005/27.007) on a pseudo-terminal.

It stores injected SMS on a simulated SIM, announces them with +CMTI, answers AT+CMGR/CMGL/
CMGD in PDU and text mode, takes AT+CMGS with the '> ' prompt and Ctrl-Z, and records what was
sent. Faithful enough for gammu to identify, read and send through it (tested).

Control API (used by the demo, the tests and the benchmarks): `inject_sms`, `network_burst`,
`release_bursts`, `inject_pdu`, `call`, `sent`, `stored`, `history`, `deleted_unread`,
`events`, the fault modes of `ModemFaults` (modem_faults.py) and the status reports of
`StatusReports` (status_reports.py).
"""

from __future__ import annotations

import contextlib
import datetime as dt
import logging
import threading
import time
from pathlib import Path

from gateway.gsm.sms_pdu import decode_deliver
from gateway.sim.at_commands import AtCommandSet, SimError
from gateway.sim.calls import SimulatedCall, run_caller
from gateway.sim.deliver_pdu import build_deliver_pdus
from gateway.sim.modem_faults import ModemFaults
from gateway.sim.modem_state import Delivery, ModemState, SentMessage, StoredMessage
from gateway.sim.pty_device import PtyDevice
from gateway.sim.status_reports import StatusReports

log = logging.getLogger(__name__)

CTRL_Z, ESC = b"\x1a", b"\x1b"


class SimulatedModem(ModemFaults, StatusReports, PtyDevice):
    """A simulated modem serving one pseudo-terminal from a background thread.

    `send_delay` is how long the network takes to accept each SMS part (from the PDU's Ctrl-Z
    to +CMGS): the line's limit on sending, as an operator's would be."""

    thread_name = "sim-modem"

    def __init__(self, baudrate: int = 115200, capacity: int = 30, pin: str | None = None,
                 link: Path | None = None, send_delay: float = 0.0):
        super().__init__(baudrate, link)
        self.send_delay = send_delay
        self.state = ModemState(capacity=capacity, pin=pin, unlocked=pin is None)
        self.commands = AtCommandSet(self.state, self._emit)
        self._sms_input: tuple[str, str | None] | None = None  # (command, text-mode number)
        self._reference = 0

    # -- control API --------------------------------------------------------------------------
    def inject_sms(self, sender: str, text: str, when: dt.datetime | None = None,
                   encoding: str | None = None) -> list[int | None]:
        """A focal point sends `text`: store each part on the SIM and announce it. Returns the
        storage indices (several for a long message; None for a part the network holds because
        the SIM is full or the modem off)."""
        with self._lock:
            self._reference = (self._reference + 1) % 256
            pdus = build_deliver_pdus(sender, text, when, encoding, reference=self._reference)
            return [self._store(p.hex, sender, p.text, when) for p in pdus]

    def network_burst(self, messages: list[tuple[str, str]], on_command: str | None = None) -> None:
        """The network hands over `messages` (sender, text) back to back, with no spacing: each
        lands in the lowest free slot the moment there is one (announced by +CMTI); the rest
        wait at the network and land the instant a delete frees a slot. With `on_command`
        ("AT+CMGL") the burst waits until the host sends that command and lands just before
        the modem answers it: a burst on a sweep, whose notices are stale once the sweep has
        deleted the messages they announced."""
        with self._lock:
            burst: list[Delivery] = []
            for sender, text in messages:
                self._reference = (self._reference + 1) % 256
                burst += [(p.hex, sender, p.text, None)
                          for p in build_deliver_pdus(sender, text, reference=self._reference)]
            if on_command is None:
                self._hand_over(burst)
            else:
                self.state.armed_bursts.append((on_command.upper(), burst))

    def release_bursts(self) -> None:
        """Hand over now the bursts still waiting for their command (one the host may never
        send again)."""
        with self._lock:
            self._land_armed_bursts(None)

    def inject_pdu(self, pdu_hex: str) -> int | None:
        """Store a raw SMS-DELIVER PDU (possibly malformed) and announce it."""
        with self._lock:
            return self._store(pdu_hex, None, "", None)

    def call(self, number: str, digits: str = "", drop_after: int | None = None,
             ring_interval: float = 3.0, max_rings: int = 6,
             key_interval: float = 0.3) -> SimulatedCall:
        """A focal point calls: it rings until answered or rejected, then keys `digits` (and
        drops the line after `drop_after` keys, if given). Returns the call, updated live."""
        call = SimulatedCall(number, digits, drop_after)
        with self._lock:
            self.state.call = call
            self.state.calls.append(call)
        threading.Thread(target=run_caller, name="sim-caller", daemon=True, args=(
            call, self._emit, self._lock, lambda: self.state.clip,
            lambda: self.state.keypad_on, ring_interval, max_rings, key_interval)).start()
        return call

    @property
    def sent(self) -> list[SentMessage]:
        with self._lock:
            return list(self.state.sent)

    @property
    def stored(self) -> dict[int, StoredMessage]:
        with self._lock:
            return dict(self.state.storage)

    @property
    def history(self) -> list[str]:
        """Every PDU ever stored on the SIM, in order (deleted ones included)."""
        with self._lock:
            return list(self.state.history)

    @property
    def deleted_unread(self) -> list[str]:
        """PDUs the host deleted without having read them since the network stored them."""
        with self._lock:
            return list(self.state.deleted_unread)

    @property
    def events(self) -> list[tuple[float, str, object]]:
        """(time.time(), kind, detail) for each notification, read, delete and send."""
        with self._lock:
            return list(self.state.events)

    def _store(self, pdu: str, sender: str | None, text: str, when: dt.datetime | None,
               held: bool = False) -> int | None:
        """Put an SMS on the SIM, or leave it with the network (`held`: it comes from there)."""
        if sender is None:
            decoded = decode_deliver(pdu)
            sender, text = decoded.sender, decoded.text
        index = self.state.free_index()
        queue_first = self.state.waiting_at_network and not held  # keep the arrival order
        if index is None or not self.state.powered or queue_first:
            self._hold_at_network(pdu, sender, text, when)
            return None
        self.state.history.append(pdu)
        self.state.storage[index] = StoredMessage(
            pdu, sender, text, when or dt.datetime.now(dt.UTC))
        if self.state.cnmi[1] in (1, 2) and self.state.notify and self._answering():
            self.state.events.append((time.time(), "cmti", index))  # as it starts on the line
            self._emit(f'+CMTI: "SM",{index}')
        return index

    def _store_report(self, pdu: str) -> int | None:
        """A status report kept on the SIM (AT+CNMI ds=2), announced with +CDSI."""
        index = self.state.free_index()
        if index is None:
            return None
        self.state.history.append(pdu)
        self.state.storage[index] = StoredMessage(pdu, None, "", dt.datetime.now(dt.UTC))
        if self.state.notify:
            self._emit(f'+CDSI: "SM",{index}')
        return index

    # -- serving ------------------------------------------------------------------------------
    def _emit(self, line: str) -> None:
        """An unsolicited result code, framed as the modem frames it."""
        self._write(f"\r\n{line}\r\n".encode("latin-1", "replace"))

    def _write(self, data: bytes) -> None:
        port = self.port
        if port is not None:
            with contextlib.suppress(OSError):  # unplugged or stopped meanwhile
                port.write(data)

    def _new_port(self) -> None:
        self._sms_input = None

    def _process(self, buffer: bytes) -> bytes:
        while buffer:
            if self._sms_input is not None:
                end = min((i for i in (buffer.find(CTRL_Z), buffer.find(ESC)) if i >= 0),
                          default=-1)
                if end < 0:
                    return buffer
                body, terminator, buffer = buffer[:end], buffer[end:end + 1], buffer[end + 1:]
                self._occupy(len(body) + 1)  # the PDU's own time on the line
                self._finish_sms_input(body, cancelled=terminator == ESC)
                continue
            cut = min((i for i in (buffer.find(b"\r"), buffer.find(b"\n")) if i >= 0),
                      default=-1)
            if cut < 0:
                return buffer
            raw, buffer = buffer[:cut], buffer[cut + 1:]
            line = raw.decode("latin-1").strip()
            start = line.upper().find("AT")
            line = line[start:] if start > 0 else line  # a modem syncs on "AT": noise before it
            if not line:
                continue
            self._occupy(len(raw) + 1)  # the command's own time on the line
            with self._lock:
                if self._takes_reset(line):
                    self._reset(raw)
                elif self._answering():
                    if self.state.echo:
                        self._write(raw + b"\r")
                    self._land_armed_bursts(line)
                    self._execute(line)
        return buffer

    def _occupy(self, count: int) -> None:
        port = self.port
        if port is not None:
            port.occupy(count)

    def _reset(self, raw: bytes) -> None:
        """A reset command: OK if the modem was answering, then it restarts."""
        if self._answering():
            if self.state.echo:
                self._write(raw + b"\r")
            self._write(b"\r\nOK\r\n")
        self._boot()

    def _execute(self, line: str) -> None:
        if not line.upper().startswith("AT"):
            return
        try:
            outcome = self.commands.run_line(line)
        except SimError as err:
            self._write(f"\r\n{self._error_text(err)}\r\n".encode())
            return
        if outcome.prompt_for is not None:
            self._sms_input = (line, outcome.prompt_for or None)
            self._write(b"\r\n> ")
            return
        reply = "".join(f"\r\n{item}\r\n" for item in outcome.lines)
        self._write((reply + "\r\nOK\r\n").encode("latin-1", "replace"))
        for urc in outcome.after:
            self._emit(urc)
        self._deliver_waiting()  # a delete may have freed a slot

    def _finish_sms_input(self, body: bytes, cancelled: bool) -> None:
        if cancelled:
            self._sms_input = None
            self._write(b"\r\nOK\r\n")
            return
        with self._lock:
            _command, number = self._sms_input or ("", None)
            self._sms_input = None
            if not self._answering():
                return
            try:
                if self.state.send_errors:
                    raise SimError(self.state.send_errors.pop(0), cms=True)
                reference = self.commands.submit(body.decode("latin-1").strip(), number)
            except SimError as err:
                self._write(f"\r\n{self._error_text(err)}\r\n".encode())
                return
            sent = self.state.sent[-1]
        if self.send_delay:
            time.sleep(self.send_delay)  # the network's round trip; notices still come meanwhile
        self._write(f"\r\n+CMGS: {reference}\r\n\r\nOK\r\n".encode())
        if sent.report and sent.number:
            self._submitted(reference, sent.number)

    def _error_text(self, err: SimError) -> str:
        if err.code is None or self.state.cmee == 0:
            return "ERROR"
        kind = "+CMS ERROR" if err.cms else "+CME ERROR"
        return f"{kind}: {err.code}"
