"""Which clock decides: the triage clock, so that a clock set at boot neither splits nor merges
incidents.

The Pi has no real-time clock: at boot its time is whatever was saved at the last shutdown,
until NTP or the modem's network time sets it, hours later or earlier. Reports are grouped on
the time each alert was stamped with (`received_at`, the base's wall clock), and the triage
clock watches the wall clock against the monotonic one (which nobody sets). When they part by
more than `clock_jump` seconds the wall clock was set: the clock last set wins, and the triage
times of the reports taken since this process started (or since the previous jump), which were
stamped by the clock before it was set, move by the same amount. Reports 10 minutes apart stay 10
minutes apart, and later reports are compared with them on the corrected clock.

One clock per process (the daemon's workers share it); the CLI's own is started afresh.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable

log = logging.getLogger(__name__)


class TriageClock:
    def __init__(self, jump: float = 120.0, wall: Callable[[], float] = time.time,
                 monotonic: Callable[[], float] = time.monotonic):
        self.jump = jump
        self.wall = wall
        self.monotonic = monotonic
        self._anchor: tuple[float, float] | None = None  # (wall, monotonic) at the last report
        self._first_alert: int | None = None  # the first alert this process triaged
        self._lock = threading.Lock()

    def take(self, alert_id: int) -> float | None:
        """Note that `alert_id` is being triaged now; when the wall clock was set since the
        last report, the shift (seconds) to apply to the triage times of the alerts this
        process took before it, else None."""
        with self._lock:
            wall, mono = self.wall(), self.monotonic()
            shift = None
            if self._anchor is not None:
                drift = (wall - self._anchor[0]) - (mono - self._anchor[1])
                if abs(drift) > self.jump:
                    shift = drift
                    log.warning("the wall clock was set by %+.0f s: reports taken since alert "
                                "id %s move with it", drift, self._first_alert)
            self._anchor = (wall, mono)  # drift is measured between reports, not over months
            first = self._first_alert
            if self._first_alert is None:
                self._first_alert = alert_id
            return shift if shift is not None and first is not None else None

    @property
    def first_alert(self) -> int | None:
        return self._first_alert


CLOCK = TriageClock()
