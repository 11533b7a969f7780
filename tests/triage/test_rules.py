"""The pieces of `[triage]`: the corroboration rule as data, check-in schedules, and the
section's validation."""

from __future__ import annotations

import datetime as dt

import pytest

from gateway.config import load_config
from gateway.errors import ConfigError
from gateway.triage.rules import Rule
from gateway.triage.schedules import parse_schedule
from tests.test_config import MINIMAL, write

ZONE = dt.timezone(dt.timedelta(hours=2))


def at(day: int, hour: int, minute: int = 0) -> float:
    return dt.datetime(2030, 11, day, hour, minute, tzinfo=ZONE).timestamp()


@pytest.mark.parametrize(("counts", "operator", "level"), [
    ({"senders": 1, "reports": 3, "channels": 1}, False, "single"),
    ({"senders": 2, "registered_senders": 1, "channels": 1}, False, "corroborated"),
    ({"senders": 1, "channels": 2}, False, "corroborated"),
    ({"senders": 2, "registered_senders": 2, "channels": 1}, False, "confirmed"),
    ({"senders": 2, "channels": 2}, False, "confirmed"),
    ({"senders": 1, "channels": 1}, True, "confirmed"),
])
def test_the_default_rule(counts, operator, level):
    rule = Rule.parse(["senders >= 2", "channels >= 2"],
                      ["registered_senders >= 2", "senders >= 2 and channels >= 2", "operator"])
    assert rule.level(counts, operator) == level


@pytest.mark.parametrize(("text", "message"), [
    ("confirmed = ['senders > 2']", "measure >= number"),
    ("corroborated = ['voices >= 2']", "'voices' is not one of"),
    ("related = [['attack'], ['attack', 'armed_presence']]", "each category in one list"),
    ("window_hours = { attack = 0 }", "hours above 0"),
    ("checkin = { 'hamlet:3' = 'by 18:00' }", "keys 'village:12'"),
    ("checkin = { hf = 'whenever' }", "expected 'by 18:00'"),
    ("schedules = { x = 'at 07:00' }", "needs its window"),
    ("silence_severity = 'Loud'", "expected one of"),
    ("network_at = '6am'", "a local time"),
])
def test_a_wrong_triage_section_names_the_key(tmp_path, text, message):
    with pytest.raises(ConfigError, match=message.replace("(", r"\(")):
        load_config(write(tmp_path, MINIMAL + "[triage]\n" + text + "\n"))


def test_a_deadline_schedule_runs_from_the_previous_deadline():
    schedule = parse_schedule("by 06:00, 18:00")
    slot = schedule.latest_ended(at(21, 19), ZONE)
    assert (slot.start, slot.end) == (at(21, 6), at(21, 18))
    slot = schedule.latest_ended(at(21, 5), ZONE)
    assert (slot.start, slot.end) == (at(20, 6), at(20, 18))
    assert parse_schedule("by 18:00").latest_ended(at(21, 18), ZONE).start == at(20, 18)


def test_a_roll_call_is_its_window():
    schedule = parse_schedule("at 17:00, 07:00 within 30")
    assert schedule.times == (7 * 60, 17 * 60)
    slot = schedule.latest_ended(at(21, 17, 45), ZONE)
    assert (slot.start, slot.end) == (at(21, 17), at(21, 17, 30))
    slot = schedule.latest_ended(at(21, 17, 20), ZONE)
    assert (slot.start, slot.end) == (at(21, 7), at(21, 7, 30))


@pytest.mark.parametrize("text", ["by 25:00", "by 18:00 within 30", "at 07:00", "daily",
                                  "by 07:00, 07:00", "at 07:00 within 0"])
def test_a_schedule_that_means_nothing_is_refused(text):
    with pytest.raises(ValueError):
        parse_schedule(text)
