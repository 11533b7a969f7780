"""Which clock decides what. The Pi has no real-time clock: its wall clock steps, sometimes by
days, when NTP or the network's time arrives after boot. A wait must neither stall nor end
early because of that.

- Records (when a message came, was delivered, was seen) are wall-clock times: people and
  headquarters read them. So are calendar matters: the satellite's daily budget, the panel's
  silent hours, the time in an acknowledgement.
- Waits that live in one process (probes, sweeps, PUBACKs in flight, call timers, the HF
  frame budget, the satellite's back-off) are measured on the monotonic clock.
- Waits the store keeps across a restart (an outbox row's next attempt, a fallback's delay, the
  parts of a multipart SMS waiting for their siblings) are wall-clock times read from `now()`.
  In the daemon, `ClockWatch` notices a step of the wall clock and moves all of them by the
  step in one transaction, and only then does `now()` follow the wall clock across the step:
  a step neither lengthens nor shortens a wait. A step while the daemon was down cannot be
  measured: at start, a wait further ahead than the longest the gateway ever sets is due at
  once, and parts dated in the future are dated now.
"""

from __future__ import annotations

import logging
import sqlite3
import time
from collections.abc import Callable
from pathlib import Path

from gateway.errors import StoreError
from gateway.repeats import Repeats
from gateway.store import Store, inbox, outbox

log = logging.getLogger(__name__)

STEP_TOLERANCE = 1.0  # smaller changes are NTP slewing or scheduling noise, not a step

_offset: float | None = None  # wall minus monotonic as the store's waits know it (daemon only)
_steady: Callable[[], float] = time.monotonic


def now() -> float:
    """Wall-clock time on the store's time line: the wall clock, except in the second between
    a step and the moment the daemon has moved the store's waits by it."""
    return time.time() if _offset is None else _steady() + _offset


class ClockWatch:
    """The daemon's keeper of `now()`: looks at the wall clock once a second (`check`)."""

    def __init__(self, store_path: Path, longest_wait: float,
                 wall: Callable[[], float] = time.time,
                 steady: Callable[[], float] = time.monotonic):
        self.store_path = store_path
        self.longest_wait = longest_wait
        self.wall = wall
        self.steady = steady
        self._repeats = Repeats()

    def start(self) -> None:
        """Bring back waits a step while the daemon was down left too far ahead, and let
        `now()` follow this watch."""
        global _steady
        _steady = self.steady
        self._settle(0.0, self.wall() - self.steady())

    def check(self) -> None:
        """Follow the wall clock; on a step, move the store's waits by it first (a store that
        cannot be written now is tried again at the next check)."""
        global _offset
        offset = self.wall() - self.steady()
        step = offset - (_offset if _offset is not None else offset)
        if abs(step) < STEP_TOLERANCE:
            _offset = offset  # slewing: the waits follow the wall clock by themselves
            return
        try:
            moved = self._settle(step, offset)
        except (sqlite3.Error, StoreError, OSError) as exc:
            if self._repeats.due(str(exc)):
                log.error("the system clock stepped by %s, but the store's waits cannot be "
                          "moved yet (%s); trying again", _duration(abs(step)), exc)
            return
        log.warning("the system clock stepped %s by %s; %d scheduled wait(s) moved with it",
                    "forward" if step > 0 else "back", _duration(abs(step)), moved)

    def stop(self) -> None:
        """`now()` is the plain wall clock again (the daemon has stopped)."""
        global _offset, _steady
        _offset, _steady = None, time.monotonic

    def _settle(self, step: float, offset: float) -> int:
        """Move the store's waits by `step` and adopt `offset`, in one transaction: a worker
        that writes a wait meanwhile waits for the commit, then reads the new `now()`."""
        global _offset
        before = _offset
        try:
            with Store.open(self.store_path, migrate=False) as store, \
                    store.transaction() as db:
                current = self.steady() + offset
                moved = outbox.shift_waits(db, step, current, self.longest_wait)
                moved += inbox.shift_open_parts(db, step, current)
                _offset = offset  # before the commit, which writers of waits wait for
        except BaseException:
            _offset = before
            raise
        return moved


def _duration(seconds: float) -> str:
    """'1 d 2 h 3 min 4 s', without the zero parts."""
    parts, rest = [], round(seconds)
    for unit, size in (("d", 86400), ("h", 3600), ("min", 60)):
        if rest >= size:
            parts.append(f"{rest // size} {unit}")
            rest %= size
    if rest or not parts:
        parts.append(f"{rest} s")
    return " ".join(parts)
