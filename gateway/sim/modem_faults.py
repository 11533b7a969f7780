"""The faults a modem shows at a remote base, so the recovery tests can inject them.

- `hang(clears_by)`: the modem stops answering. "time": it comes back by itself after some
  seconds, restarted (a brown-out reboot: every setting the host made is lost); "reset": only
  a reset command (AT+CFUN=1,1, AT^RESET) still reaches its firmware; "power": only a
  power-cycle brings it back.
- `power(on)`: its supply, as the relay switches it. Off, it answers nothing and the network
  holds new SMS; on, it boots (`boot_time`), announcing RDY ... SMS Ready.
- `unplug()` / `replug()`: the USB device vanishes and comes back as another tty (the stable
  symlink, if any, follows it, as udev's does).
- `fail_sends(code, times)`: the next sends end with +CMS ERROR <code> (500: unknown error).
- `set_network(registration, signal)`: lose or regain the network.
- `notifications(False)`: new messages are stored without a +CMTI.
- `full_notice(urc)`: what the modem says when its SIM is full: "+CMS ERROR: 322" (the
  default), "^SMMEMFULL" (Huawei) or None (a SIM800 says nothing).
- `damage_reads(times)`: the next `times` messages read (AT+CMGR, AT+CMGL) lose bytes on
  the line: their PDU arrives cut short (by fewer bytes each time), under a header that gives
  its true length.

A full SIM makes the network hold new messages (an SMSC retries later), and the modem says so
(`full_notice`); they arrive the instant a slot is free, into the lowest free slot.
"""

from __future__ import annotations

import datetime as dt
import threading
import time
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING

from gateway.sim.pty_port import PtyPort

if TYPE_CHECKING:
    from gpiozero.pins import Pin

    from gateway.sim.modem_state import Delivery, ModemState

BOOT_URCS = ("RDY", "+CFUN: 1", "+CPIN: READY", "Call Ready", "SMS Ready")
RESET_COMMANDS = ("AT+CFUN=1,1", "AT^RESET")


class ModemFaults:
    """Mixed into SimulatedModem, whose `state`, `port`, `_lock`, `_emit` and `_store` it uses."""

    state: ModemState
    port: PtyPort | None
    _lock: threading.RLock
    _baud_and_link: tuple[int, Path | None]
    _store: Callable[..., int | None]
    _emit: Callable[[str], None]
    boot_time = 1.0

    # -- control API --------------------------------------------------------------------------
    def hang(self, clears_by: str = "time", seconds: float = 5.0) -> None:
        if clears_by not in ("time", "reset", "power"):
            raise ValueError(f"unknown hang {clears_by!r}")
        with self._lock:
            self.state.hang = clears_by
            self._event("hang", clears_by)
        if clears_by == "time":
            threading.Timer(seconds, self._boot).start()

    def power(self, on: bool) -> None:
        with self._lock:
            if on == self.state.powered:
                return
            self.state.powered = on
            self._event("power", on)
        if on:
            self._boot()

    def unplug(self) -> None:
        """The USB modem is pulled out: its tty disappears and it loses power."""
        with self._lock:
            port, self.port = self.port, None
            self._event("unplug", port.path if port else None)
        if port is not None:
            port.close()
            self._gone = port.path
        self.power(False)

    def replug(self) -> str:
        """Plugged in again under another tty name (returned); the symlink points at it."""
        with self._lock:
            port = PtyPort(*self._baud_and_link)
            if port.path == getattr(self, "_gone", None):  # the kernel reused the number
                other = PtyPort(*self._baud_and_link)
                port.link = None  # the symlink is other's now
                port.close()
                port = other
            self.port = port
            self._event("replug", port.path)
        self.power(True)
        return port.path

    def fail_sends(self, code: int = 500, times: int = 1) -> None:
        with self._lock:
            self.state.send_errors.extend([code] * times)

    def set_network(self, registration: int | None = None, signal: int | None = None) -> None:
        """27.007 registration (0 not registered, 1 home, 2 searching, 3 denied, 5 roaming)."""
        with self._lock:
            if registration is not None and registration != self.state.registration:
                self.state.registration = registration
                if self.state.creg_mode and self._answering():
                    self._emit(f"+CREG: {registration}")
            if signal is not None:
                self.state.signal = signal

    def notifications(self, on: bool) -> None:
        with self._lock:
            self.state.notify = on

    def full_notice(self, urc: str | None) -> None:
        with self._lock:
            self.state.full_notice = urc

    def damage_reads(self, times: int = 1) -> None:
        with self._lock:
            self.state.damaged_reads += times

    # -- used by the modem --------------------------------------------------------------------
    def _answering(self) -> bool:
        state = self.state
        return (state.powered and state.hang is None and self.port is not None
                and time.monotonic() >= state.booting_until)

    def _takes_reset(self, line: str) -> bool:
        """A reset command that reaches the firmware: when answering, or hung for a reset."""
        if line.upper().replace(" ", "") not in RESET_COMMANDS:
            return False
        return self._answering() or (self.state.powered and self.state.hang == "reset")

    def _boot(self) -> None:
        """Restart: settings forgotten, silent for `boot_time`, then the boot URCs, then what the
        network held while the SIM was full or the modem off."""
        with self._lock:
            if not self.state.powered:
                return
            self.state.restart()
            self.state.booting_until = time.monotonic() + self.boot_time
            self._event("boot", None)
        threading.Timer(self.boot_time, self._booted).start()

    def _booted(self) -> None:
        with self._lock:
            if not self._answering():
                return
            for urc in BOOT_URCS:
                self._emit(urc)
            self._deliver_waiting()

    def _deliver_waiting(self) -> None:
        """The network hands over what it held, as slots allow."""
        while (self.state.powered and self.state.waiting_at_network
               and self.state.free_index() is not None):
            pdu, sender, text, when = self.state.waiting_at_network.pop(0)
            self._store(pdu, sender, text, when, held=True)

    def _hold_at_network(self, pdu: str, sender: str | None, text: str,
                         when: dt.datetime | None) -> None:
        self.state.waiting_at_network.append((pdu, sender, text, when))
        if self.state.powered and self._answering() and self.state.free_index() is None:
            self._say_full()

    def _hand_over(self, burst: list[Delivery]) -> None:
        """A burst from the network: behind what it already holds, stored as slots allow; a
        full SIM is said once for the whole burst."""
        held = len(self.state.waiting_at_network)
        self.state.waiting_at_network += burst
        self._deliver_waiting()
        if len(self.state.waiting_at_network) > held and self._answering():
            self._say_full()

    def _say_full(self) -> None:
        if self.state.full_notice is not None:
            self._emit(self.state.full_notice)

    def _land_armed_bursts(self, line: str | None) -> None:
        """Bursts waiting for the command the host has just sent (None: for any command)
        arrive now, before its answer."""
        armed, self.state.armed_bursts = self.state.armed_bursts, []
        for command, burst in armed:
            if line is None or line.upper().startswith(command):
                self._hand_over(burst)
            else:
                self.state.armed_bursts.append((command, burst))

    def _event(self, kind: str, detail: object) -> None:
        self.state.events.append((time.time(), kind, detail))


def follow_relay(modem: ModemFaults, pin: Pin) -> Callable[[], None]:
    """Wire a (mock) GPIO pin as the relay in the modem's supply, through its normally-closed
    contact: pin high cuts the power. Returns a function that unwires it."""
    done = threading.Event()

    def follow() -> None:
        last = pin.state
        while not done.is_set():
            if pin.state != last:
                last = pin.state
                modem.power(not last)
            time.sleep(0.01)

    thread = threading.Thread(target=follow, name="sim-relay", daemon=True)
    thread.start()

    def unwire() -> None:
        done.set()
        thread.join()
    return unwire
