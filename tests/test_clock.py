"""Which clock decides what (gateway/clock.py), on a real store: a step of the wall clock moves
the store's waits by the same amount, a step while the daemon was down is bounded by the
longest wait, and what compares records (copies folded, missed calls folded) is not fooled by
a record dated before or after a step."""

from __future__ import annotations

import pytest

from gateway import clock
from gateway.alerts.pipeline import Pipeline
from gateway.clock import ClockWatch
from gateway.gsm.calls import CallHandler
from gateway.gsm.config import CallsConfig
from gateway.hf.config import HfConfig
from gateway.hf.intake import HfIntake
from gateway.hf.link import Heard
from gateway.model import SmsPart
from gateway.store import outbox
from gateway.store.inbox import open_group

T0 = 1_800_000_000.0
DAY, TEN_MINUTES = 86400.0, 600.0
STEPS = {"back a day": -DAY, "back ten minutes": -TEN_MINUTES,
         "forward ten minutes": TEN_MINUTES, "forward a day": DAY}
LONGEST_WAIT = 3600.0


class Clocks:
    """A wall clock the test steps and a monotonic one it advances."""

    def __init__(self) -> None:
        self.wall_offset, self.steady_now = T0 - 1000.0, 1000.0

    def wall(self) -> float:
        return self.steady_now + self.wall_offset

    def steady(self) -> float:
        return self.steady_now

    def advance(self, seconds: float) -> None:
        self.steady_now += seconds


@pytest.fixture
def clocks():
    return Clocks()


@pytest.fixture
def watch(store, clocks):
    keeper = ClockWatch(store.path, LONGEST_WAIT, clocks.wall, clocks.steady)
    keeper.start()
    yield keeper
    keeper.stop()  # now() is the plain wall clock again for the other tests


def part(seq: int, fingerprint: str) -> SmsPart:
    return SmsPart(sender="+243990000102", text=f"part {seq}", fingerprint=fingerprint,
                   concat_ref=5, concat_total=2, concat_seq=seq)


def next_attempts(store) -> list[float]:
    return [row[0] for row in store.db.execute(
        "SELECT next_attempt_at FROM outbox ORDER BY id").fetchall()]


@pytest.mark.parametrize("step", STEPS.values(), ids=STEPS.keys())
def test_a_step_moves_every_wait_the_store_keeps_by_the_step(store, config, codebook, clocks,
                                                              watch, step):
    pipeline = Pipeline(store, config, codebook)  # its clock: gateway.clock.now
    with store.transaction() as db:
        retry = outbox.enqueue(db, "sms", 0, clock.now(), recipient="+243990000101", body="x")
        outbox.mark_attempt_failed(db, retry, "+CMS ERROR: 500", clock.now())  # in 5 s
        outbox.enqueue(db, "sbd", 0, clock.now(), not_before=clock.now() + 300)
    pipeline.ingest_sms(part(1, "a"))
    before, part_at = next_attempts(store), open_group(store.db, "+243990000102", 5, 2)[0]
    clocks.wall_offset += step
    assert clock.now() == pytest.approx(T0)  # not yet: the store's waits have not moved
    watch.check()
    assert clock.now() == pytest.approx(T0 + step)
    assert next_attempts(store) == pytest.approx([t + step for t in before])
    moved_part = open_group(store.db, "+243990000102", 5, 2)[0]
    assert moved_part.received_at == pytest.approx(part_at.received_at + step)
    clocks.advance(4.9)
    assert outbox.due(store.db, "sms", clock.now()) == []  # 5 s, neither more nor less
    clocks.advance(0.2)
    assert [row.id for row in outbox.due(store.db, "sms", clock.now())] == [retry]
    assert pipeline.flush_stale_parts(timeout=10) == []
    clocks.advance(5)
    (flushed,) = pipeline.flush_stale_parts(timeout=10)
    assert flushed.partial


def test_slewing_is_followed_without_moving_anything(store, clocks, watch):
    with store.transaction() as db:
        outbox.enqueue(db, "mqtt", 0, clock.now(), not_before=clock.now() + 60)
    before = next_attempts(store)
    clocks.wall_offset += 0.4
    watch.check()
    assert clock.now() == pytest.approx(T0 + 0.4)
    assert next_attempts(store) == before


def test_a_step_while_the_daemon_was_down_is_bounded_by_the_longest_wait(store, config,
                                                                         codebook, clocks):
    """Written a day ahead, read with the right time: due at once, and a part dated in the
    future waits its timeout from now."""
    ahead = T0 + DAY
    with store.transaction() as db:
        stalled = outbox.enqueue(db, "mqtt", 0, ahead)
        fallback = outbox.enqueue(db, "sbd", 0, T0, not_before=T0 + 300)  # a real wait
    Pipeline(store, config, codebook, clock=lambda: ahead).ingest_sms(part(1, "b"))
    keeper = ClockWatch(store.path, LONGEST_WAIT, clocks.wall, clocks.steady)
    keeper.start()
    keeper.stop()
    assert [row.id for row in outbox.due(store.db, "mqtt", T0)] == [stalled]
    assert outbox.due(store.db, "sbd", T0 + 299) == []
    assert [row.id for row in outbox.due(store.db, "sbd", T0 + 300)] == [fallback]
    assert open_group(store.db, "+243990000102", 5, 2)[0].received_at == pytest.approx(T0)


def test_a_report_dated_a_day_ahead_does_not_swallow_the_next_days_reports(registered, config,
                                                                           codebook):
    """HF copies fold within `repeat_window` of each other on either side: after a step back,
    the first report looks later than the next one."""
    pipeline = Pipeline(registered, config, codebook)
    intake = HfIntake(pipeline, HfConfig(port="/dev/null", callsign="UNBASE"))
    heard = Heard(sender="9Q2KAM", text="2 Kamango", raw=b"2 Kamango")
    assert intake.take(heard, T0 + DAY).alert is not None  # the clock was a day ahead
    assert intake.take(heard, T0 + 30).alert is not None  # a new report, not a copy
    assert intake.take(heard, T0 + 60).copy_of is not None  # 30 s later: a copy of it


def test_a_missed_call_dated_a_day_ahead_does_not_swallow_the_next_calls(registered, config,
                                                                         codebook):
    pipeline = Pipeline(registered, config, codebook)
    calls = CallHandler(pipeline, voice=None, settings=CallsConfig(fold_window=300))
    calls.record_missed("+243990000101", T0 + DAY, None)
    calls.record_missed("+243990000101", T0 + 900, None)  # a new call, the clock set right
    calls.record_missed("+243990000101", T0 + 1000, None)  # within the window: folded
    rows = registered.db.execute("SELECT repeats FROM alerts ORDER BY id").fetchall()
    assert rows == [(1,), (2,)]


