"""A simulated GSM modem (a SIM800-like subset of 3GPP TS 27.005/27.007) on a pseudo-terminal.

It stores injected SMS on a simulated SIM, announces them with +CMTI, answers AT+CMGR/CMGL/
CMGD in PDU and text mode, takes AT+CMGS with the '> ' prompt and Ctrl-Z, and records what was
sent. Faithful enough for gammu to identify, read and send through it (tested).

Control API (used by the demo, the tests and the benchmarks): `inject_sms`, `inject_pdu`, `call`,
`sent`, `stored`, `history`, `events`.
"""

from __future__ import annotations

import datetime as dt
import logging
import threading
import time
from pathlib import Path

from gateway.links.sms_pdu import decode_deliver
from gateway.sim.at_commands import AtCommandSet, SimError
from gateway.sim.calls import SimulatedCall, run_caller
from gateway.sim.deliver_pdu import build_deliver_pdus
from gateway.sim.modem_state import ModemState, SentMessage, StoredMessage
from gateway.sim.pty_device import PtyDevice

log = logging.getLogger(__name__)

CTRL_Z, ESC = b"\x1a", b"\x1b"


class SimulatedModem(PtyDevice):
    """A simulated modem serving one pseudo-terminal from a background thread."""

    thread_name = "sim-modem"

    def __init__(self, baudrate: int = 115200, capacity: int = 30, pin: str | None = None,
                 link: Path | None = None):
        super().__init__(baudrate, link)
        self.state = ModemState(capacity=capacity, pin=pin, unlocked=pin is None)
        self.commands = AtCommandSet(self.state, self._emit)
        self._sms_input: tuple[str, str | None] | None = None  # (command, text-mode number)
        self._reference = 0

    # -- control API --------------------------------------------------------------------------
    def inject_sms(self, sender: str, text: str, when: dt.datetime | None = None,
                   encoding: str | None = None) -> list[int]:
        """A focal point sends `text`: store each part on the SIM and announce it. Returns the
        storage indices (several for a long message)."""
        with self._lock:
            self._reference = (self._reference + 1) % 256
            pdus = build_deliver_pdus(sender, text, when, encoding, reference=self._reference)
            return [self._store(p.hex, sender, p.text, when) for p in pdus]

    def inject_pdu(self, pdu_hex: str) -> int:
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
    def events(self) -> list[tuple[float, str, object]]:
        """(time.time(), kind, detail) for each notification, read, delete and send."""
        with self._lock:
            return list(self.state.events)

    def _store(self, pdu: str, sender: str | None, text: str, when: dt.datetime | None) -> int:
        index = self.state.free_index()
        if index is None:
            raise OverflowError("SIM storage full")
        if sender is None:
            decoded = decode_deliver(pdu)
            sender, text = decoded.sender, decoded.text
        self.state.history.append(pdu)
        self.state.storage[index] = StoredMessage(
            pdu, sender, text, when or dt.datetime.now(dt.UTC))
        if self.state.cnmi[1] in (1, 2):
            self.state.events.append((time.time(), "cmti", index))  # as it starts on the line
            self._emit(f'+CMTI: "SM",{index}')
        return index

    # -- serving ------------------------------------------------------------------------------
    def _emit(self, line: str) -> None:
        """An unsolicited result code, framed as the modem frames it."""
        self.port.write(f"\r\n{line}\r\n".encode("latin-1", "replace"))

    def _process(self, buffer: bytes) -> bytes:
        while buffer:
            if self._sms_input is not None:
                end = min((i for i in (buffer.find(CTRL_Z), buffer.find(ESC)) if i >= 0),
                          default=-1)
                if end < 0:
                    return buffer
                body, terminator, buffer = buffer[:end], buffer[end:end + 1], buffer[end + 1:]
                self.port.occupy(len(body) + 1)  # the PDU's own time on the line
                self._finish_sms_input(body, cancelled=terminator == ESC)
                continue
            cut = min((i for i in (buffer.find(b"\r"), buffer.find(b"\n")) if i >= 0),
                      default=-1)
            if cut < 0:
                return buffer
            raw, buffer = buffer[:cut], buffer[cut + 1:]
            line = raw.decode("latin-1").strip()
            if not line:
                continue
            self.port.occupy(len(raw) + 1)  # the command's own time on the line
            if self.state.echo:
                self.port.write(raw + b"\r")
            with self._lock:
                self._execute(line)
        return buffer

    def _execute(self, line: str) -> None:
        if not line.upper().startswith("AT"):
            return
        try:
            outcome = self.commands.run_line(line)
        except SimError as err:
            self.port.write(f"\r\n{self._error_text(err)}\r\n".encode())
            return
        if outcome.prompt_for is not None:
            self._sms_input = (line, outcome.prompt_for or None)
            self.port.write(b"\r\n> ")
            return
        reply = "".join(f"\r\n{item}\r\n" for item in outcome.lines)
        self.port.write((reply + "\r\nOK\r\n").encode("latin-1", "replace"))
        for urc in outcome.after:
            self._emit(urc)

    def _finish_sms_input(self, body: bytes, cancelled: bool) -> None:
        if cancelled:
            self._sms_input = None
            self.port.write(b"\r\nOK\r\n")
            return
        with self._lock:
            _command, number = self._sms_input or ("", None)
            self._sms_input = None
            try:
                reference = self.commands.submit(body.decode("latin-1").strip(), number)
            except SimError as err:
                self.port.write(f"\r\n{self._error_text(err)}\r\n".encode())
                return
        self.port.write(f"\r\n+CMGS: {reference}\r\n\r\nOK\r\n".encode())

    def _error_text(self, err: SimError) -> str:
        if err.code is None or self.state.cmee == 0:
            return "ERROR"
        kind = "+CMS ERROR" if err.cms else "+CME ERROR"
        return f"{kind}: {err.code}"
