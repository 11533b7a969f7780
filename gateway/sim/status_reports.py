"""What the network says back about the messages the simulated modem sent: SMS status reports
(TS 23.040), routed as the host asked with AT+CNMI's <ds>: on the line as +CDS with the
report's PDU (ds=1), or stored on the SIM and announced with +CDSI (ds=2).

- `reports(delay, failure_rate, seed)`: every message that asked one gets a report `delay`
  seconds after it was sent: delivered, or (a `failure_rate` share, drawn from `seed`) failed
  for good (0x43, number not obtainable).
- `phone_off(number, report_after=None, status=0)`: that phone is off: the network says it
  keeps trying (0x22) after `delay`, then gives `status` after `report_after` seconds (hours
  in the field), or never (`None`): the base must expire the message itself.
- `phone_on(number)`: the phone is reachable again (for the messages sent from then on).
"""

from __future__ import annotations

import random
import threading
import time
from collections.abc import Callable
from typing import TYPE_CHECKING

from gateway.sim.deliver_pdu import build_status_report

if TYPE_CHECKING:
    from gateway.sim.modem_state import ModemState

DELIVERED, NO_RESPONSE, NOT_OBTAINABLE = 0x00, 0x22, 0x43


class StatusReports:
    """Mixed into SimulatedModem, whose `state`, `_lock`, `_emit`, `_answering` and
    `_store_report` it uses."""

    state: ModemState
    _lock: threading.RLock
    _emit: Callable[[str], None]
    _answering: Callable[[], bool]
    _store_report: Callable[[str], int | None]
    report_delay = 0.05
    failure_rate = 0.0
    _random = random.Random(0)

    # -- control API --------------------------------------------------------------------------
    def reports(self, delay: float = 0.05, failure_rate: float = 0.0, seed: int = 0) -> None:
        self.report_delay, self.failure_rate = delay, failure_rate
        self._random = random.Random(seed)

    def phone_off(self, number: str, report_after: float | None = None,
                  status: int = DELIVERED) -> None:
        with self._lock:
            self.state.phones_off[number] = (report_after, status)

    def phone_on(self, number: str) -> None:
        with self._lock:
            self.state.phones_off.pop(number, None)

    @property
    def reports_sent(self) -> list[tuple[float, int, str, int]]:
        """(time, message reference, number, status) of every report the network gave."""
        with self._lock:
            return list(self.state.reports)

    # -- used by the modem --------------------------------------------------------------------
    def _submitted(self, reference: int, number: str) -> None:
        """A message that asked a report was sent: plan what the network will say."""
        with self._lock:
            off = self.state.phones_off.get(number)
        if off is not None:
            self._later(self.report_delay, reference, number, NO_RESPONSE)
            report_after, status = off
            if report_after is not None:
                self._later(report_after, reference, number, status)
            return
        failed = self._random.random() < self.failure_rate
        self._later(self.report_delay, reference, number, NOT_OBTAINABLE if failed else DELIVERED)

    def _later(self, delay: float, reference: int, number: str, status: int) -> None:
        timer = threading.Timer(delay, self._report, (reference, number, status))
        timer.daemon = True
        timer.start()

    def _report(self, reference: int, number: str, status: int) -> None:
        pdu = build_status_report(reference, number, status)
        with self._lock:
            self.state.reports.append((time.time(), reference, number, status))
            ds = self.state.cnmi[3] if len(self.state.cnmi) > 3 else 0
            if not self._answering() or ds == 0:
                return  # a modem that is off, or told to keep none, loses it
            if ds == 1:
                self._emit(f"+CDS: {len(pdu) // 2 - int(pdu[:2], 16) - 1}\r\n{pdu}")
            else:
                self._store_report(pdu)
