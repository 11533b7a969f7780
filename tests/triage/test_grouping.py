"""The grouping rule: sequences of reports and the incidents they must give."""

from __future__ import annotations

import pytest

from gateway.store import incidents as incident_store
from tests.triage.conftest import HOUR, MINUTE, T0

A, B, C = "+243990000101", "+243990000102", "+243990000103"
UNKNOWN = "+243997770001"

# (minutes after the first, sender, channel, text); the last word names the report (the
# alert keeps it as its text)
CASES = {
    "attack, armed men and burning at one village are one event": (
        [(0, A, "sms", "2 kamango xa"), (20, B, "sms", "1 kamango xb"), (50, C, "hf", "4 kamango xc")],
        [{"xa", "xb", "xc"}]),
    "the same attack at two far villages is two": (
        [(0, A, "sms", "2 kamango xa"), (5, B, "sms", "2 mutwanga xb")],
        [{"xa"}, {"xb"}]),
    "villages within 5 km are one place": (
        [(0, A, "sms", "2 kamango xa"), (5, B, "sms", "2 nobili xb")],
        [{"xa", "xb"}]),
    "villages 9 km apart are not": (
        [(0, A, "sms", "2 kamango xa"), (5, B, "sms", "2 kasindi xb")],
        [{"xa"}, {"xb"}]),
    "a village without coordinates matches itself only": (
        [(0, A, "sms", "2 oicha xa"), (5, B, "sms", "2 oicha xb"), (6, C, "sms", "2 kamango xc")],
        [{"xa", "xb"}, {"xc"}]),
    "an attack 4 hours later is another (3 h window)": (
        [(0, A, "sms", "2 kamango xa"), (240, B, "sms", "2 kamango xb")],
        [{"xa"}, {"xb"}]),
    "armed men 4 hours after an attack: the longer window (6 h) decides": (
        [(0, A, "sms", "2 kamango xa"), (240, B, "sms", "1 kamango xb")],
        [{"xa", "xb"}]),
    "each report extends the window": (
        [(0, A, "sms", "2 kamango xa"), (170, B, "sms", "2 kamango xb"), (340, C, "sms", "2 kamango xc")],
        [{"xa", "xb", "xc"}]),
    "tension and a dispute 40 hours apart (48 h)": (
        [(0, A, "sms", "7 kamango xa"), (40 * 60, B, "sms", "8 kamango xb")],
        [{"xa", "xb"}]),
    "unrelated categories at one village stay apart": (
        [(0, A, "sms", "2 kamango xa"), (10, B, "sms", "6 kamango xb")],
        [{"xa"}, {"xb"}]),
    "check-ins never join anything": (
        [(0, A, "sms", "9 kamango xa"), (1, B, "sms", "9 kamango xb")],
        [{"xa"}, {"xb"}]),
    "an unparsed report opens its own": (
        [(0, A, "sms", "2 kamango xa"), (1, B, "sms", "les gens fuient kamango")],
        [{"xa"}, {"les gens fuient kamango"}]),
    "a report between two incidents joins them": (
        [(0, A, "sms", "2 kamango xa"), (5, C, "sms", "2 kasindi xc"), (9, B, "sms", "2 nobili xb")],
        [{"xa", "xb", "xc"}]),
}


@pytest.mark.parametrize("case", list(CASES))
def test_reports_give_the_incidents_expected(base, case):
    reports, expected = CASES[case]
    for minutes, sender, channel, text in reports:
        base.report(text, T0 + minutes * MINUTE, sender, channel)
    assert sorted(map(sorted, base.groups())) == sorted(map(sorted, expected))


def test_check_ins_are_closed_at_once_and_alerts_open(base):
    check_in = base.report("9 kamango")
    attack = base.report("2 kamango", T0 + 60)
    db = base.store.db
    assert incident_store.get(db, base.incident_of(check_in.id)).state == "closed"
    assert incident_store.get(db, base.incident_of(attack.id)).state == "open"


def test_corroboration_counts_senders_channels_and_registration(base):
    first = base.report("2 kamango", T0, A)
    incident = lambda: incident_store.get(base.store.db, base.incident_of(first.id))  # noqa: E731
    assert (incident().level, incident().senders, incident().channels) == ("single", 1, ("sms",))
    base.report("2 kamango encore", T0 + 60, A)  # the same sender again: still one voice
    assert incident().level == "single" and incident().reports == 2
    base.report("2 kamango", T0 + 120, UNKNOWN)  # a second, unregistered sender
    assert incident().level == "corroborated"
    assert (incident().senders, incident().registered_senders) == (2, 1)
    base.report("2 kamango", T0 + 180, B)  # a second registered sender
    assert incident().level == "confirmed"


def test_two_channels_from_two_senders_confirm(base):
    first = base.report("2 kamango", T0, UNKNOWN)
    base.report("2 kamango", T0 + 60, "9Q2XYZ", channel="hf")
    found = incident_store.get(base.store.db, base.incident_of(first.id))
    assert found.level == "confirmed" and found.channels == ("hf", "sms")


def test_the_rule_is_data(tmp_path):
    from tests.triage.conftest import Base
    strict = Base(tmp_path, '\n[triage]\ncorroborated = ["registered_senders >= 2"]\n'
                            'confirmed = ["registered_senders >= 3"]\n')
    try:
        first = strict.report("2 kamango", T0, A)
        strict.report("2 kamango", T0 + 60, UNKNOWN)
        level = lambda: incident_store.get(strict.store.db, strict.incident_of(first.id)).level  # noqa: E731
        assert level() == "single"
        strict.report("2 kamango", T0 + 90, B)
        assert level() == "corroborated"
        strict.report("2 kamango", T0 + 120, C)
        assert level() == "confirmed"
    finally:
        strict.close()


def test_a_closed_incident_takes_no_more_reports(base):
    from gateway.triage.incidents import change_state
    first = base.report("2 kamango", T0)
    change_state(base.store, base.config, base.incident_of(first.id), "close", "duty", "patrol back")
    later = base.report("2 kamango", T0 + HOUR)
    assert base.incident_of(later.id) != base.incident_of(first.id)


def test_the_incident_keeps_the_village_name_it_was_decided_with(base):
    from gateway.model import Village
    from gateway.store import registry as reg
    first = base.report("2 kamango", T0)
    reg.save_village(base.store, Village(12, "Kamango-Centre", (), 0.65, 29.90))
    base.report("2 kamango-centre", T0 + 60, B)
    found = incident_store.get(base.store.db, base.incident_of(first.id))
    assert found.villages == ((12, "Kamango"),)
    assert found.reports == 2
