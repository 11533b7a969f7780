"""Which clock decides: a wall clock set at boot (NTP, the modem's network time) neither splits
nor merges incidents; the triage times of the reports taken before it was set move with it."""

from __future__ import annotations

import pytest

from gateway.triage.clock import TriageClock
from tests.triage.conftest import HOUR, MINUTE, T0


class Clocks:
    """A wall clock that can be set, and a monotonic one that only runs."""

    def __init__(self):
        self.wall_offset, self.elapsed = 0.0, 0.0

    def wall(self) -> float:
        return T0 + self.elapsed + self.wall_offset

    def run(self, seconds: float) -> None:
        self.elapsed += seconds


@pytest.fixture
def clocks(base):
    made = Clocks()
    base.pipeline.triage.incidents.clock = TriageClock(120.0, made.wall, lambda: made.elapsed)
    return made


def test_without_a_jump_nothing_moves():
    clocks = Clocks()
    clock = TriageClock(120.0, clocks.wall, lambda: clocks.elapsed)
    assert clock.take(1) is None
    clocks.run(3600)
    clocks.wall_offset += 60  # NTP slewing a minute over an hour is not a jump
    assert clock.take(2) is None
    clocks.wall_offset += 90  # nor is it between two reports
    assert clock.take(3) is None
    clocks.wall_offset += 500
    assert clock.take(4) == pytest.approx(500)


def test_a_clock_set_forward_after_boot_does_not_split_an_attack(base, clocks):
    first = base.report("2 kamango", clocks.wall())  # stamped by the clock saved at shutdown
    clocks.run(10 * MINUTE)
    clocks.wall_offset = 5 * HOUR  # NTP arrives: it was 5 hours later than the Pi believed
    second = base.report("2 kamango", clocks.wall(), "+243990000102")
    assert base.incident_of(first.id) == base.incident_of(second.id)
    at = dict(base.store.db.execute("SELECT alert_id, at FROM incident_alerts").fetchall())
    assert at[second.id] - at[first.id] == pytest.approx(10 * MINUTE)


def test_a_clock_set_back_does_not_merge_reports_hours_apart(base, clocks):
    clocks.wall_offset = 2 * HOUR  # the clock ran 2 hours ahead
    first = base.report("2 kamango", clocks.wall())
    clocks.run(4 * HOUR)
    clocks.wall_offset = 0.0  # set right: on the wall clock the two are only 2 hours apart
    second = base.report("2 kamango", clocks.wall(), "+243990000102")
    assert base.incident_of(first.id) != base.incident_of(second.id)


def test_reports_after_the_jump_are_compared_on_the_corrected_clock(base, clocks):
    first = base.report("2 kamango", clocks.wall())
    clocks.run(MINUTE)
    clocks.wall_offset = 5 * HOUR
    base.report("6 mutwanga", clocks.wall())  # elsewhere: only notices the jump
    clocks.run(4 * HOUR)  # an attack window (3 h) after the first, on the corrected clock
    later = base.report("2 kamango", clocks.wall(), "+243990000103")
    assert base.incident_of(later.id) != base.incident_of(first.id)
