"""Check-in schedules: when a focal point or a village is expected to be heard from.

Two shapes, written as people say them:

- `by 18:00` (or `by 06:00, 18:00`): anything heard since the previous deadline counts; nothing
  by the deadline is a missed check-in.
- `at 07:00, 17:00 within 30`: a roll call; something must be heard in the 30 minutes from each
  time.

Times are the base's local time. Pure functions: the silence watch asks for the latest slot
that has ended and looks in the store for what was heard during it.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Mapping
from dataclasses import dataclass

_TIME = re.compile(r"([01]?\d|2[0-3]):([0-5]\d)")
_SPEC = re.compile(r"\s*(by|at)\s+([0-9:,\s]+?)(?:\s+within\s+(\d+)(?:\s*min)?)?\s*")
MAX_WITHIN = 12 * 60


@dataclass(frozen=True)
class Slot:
    """When a check-in was expected: heard between `start` and `end` (Unix seconds)."""

    start: float
    end: float


@dataclass(frozen=True)
class Schedule:
    times: tuple[int, ...]  # minutes after local midnight, ascending
    within: int | None = None  # a roll call's minutes after each time; None: deadlines

    def latest_ended(self, now: float, zone: dt.tzinfo) -> Slot:
        """The last slot that ended at or before `now`."""
        today = dt.datetime.fromtimestamp(now, zone).date()
        ended = [slot for day in (today - dt.timedelta(days=2), today - dt.timedelta(days=1),
                                  today) for slot in self._slots(day, zone) if slot.end <= now]
        return max(ended, key=lambda slot: slot.end)

    def _slots(self, day: dt.date, zone: dt.tzinfo) -> list[Slot]:
        moments = [_at(day, minutes, zone) for minutes in self.times]
        if self.within is not None:
            return [Slot(m, m + self.within * 60) for m in moments]
        previous = [_at(day - dt.timedelta(days=1), self.times[-1], zone), *moments[:-1]]
        return [Slot(start, end) for start, end in zip(previous, moments, strict=True)]


def _at(day: dt.date, minutes: int, zone: dt.tzinfo) -> float:
    return dt.datetime.combine(day, dt.time(minutes // 60, minutes % 60), zone).timestamp()


def parse_schedule(text: str) -> Schedule:
    """A schedule from its text; ValueError says what is expected."""
    match = _SPEC.fullmatch(text)
    if match is None:
        raise ValueError(f"{text!r}: expected 'by 18:00' or 'at 07:00, 17:00 within 30'")
    kind, listed, within = match.groups()
    times = []
    for item in listed.split(","):
        found = _TIME.fullmatch(item.strip())
        if found is None:
            raise ValueError(f"{text!r}: {item.strip()!r} is not a time such as 18:00")
        times.append(int(found.group(1)) * 60 + int(found.group(2)))
    if len(set(times)) != len(times):
        raise ValueError(f"{text!r}: a time is given twice")
    if kind == "by" and within is not None:
        raise ValueError(f"{text!r}: 'within' goes with 'at' (a roll call), not with 'by'")
    if kind == "at" and within is None:
        raise ValueError(f"{text!r}: a roll call needs its window, e.g. 'at 07:00 within 30'")
    minutes = int(within) if within is not None else None
    if minutes is not None and not 1 <= minutes <= MAX_WITHIN:
        raise ValueError(f"{text!r}: the window is 1 to {MAX_WITHIN} minutes")
    return Schedule(tuple(sorted(times)), minutes)


def resolve(text: str, named: Mapping[str, str]) -> Schedule:
    """A schedule given by its name in `[triage.schedules]` or written out."""
    return parse_schedule(named.get(text.strip(), text))
