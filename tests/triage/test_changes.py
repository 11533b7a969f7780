"""The duty officer's changes: each kept (who, when, from, to, note) and published with a
version that only grows; merging and splitting by hand."""

from __future__ import annotations

import pytest

from gateway.store import incidents as incident_store
from gateway.triage.incidents import IncidentError, Incidents, change_state
from tests.triage.conftest import MINUTE, T0

A, B = "+243990000101", "+243990000102"


def incident(base, alert):
    return incident_store.get(base.store.db, base.incident_of(alert.id))


def test_states_change_with_who_when_and_why_and_each_change_is_published(base):
    alert = base.report("2 kamango")
    number = base.incident_of(alert.id)
    change_state(base.store, base.config, number, "seen", "Lt Mbala", "", now=T0 + 60)
    change_state(base.store, base.config, number, "respond", "Lt Mbala", "patrol sent", T0 + 120)
    change_state(base.store, base.config, number, "close", "Capt Kabila", "calm again", T0 + 900)
    history = incident_store.changes(base.store.db, number)
    assert [(c.action, c.from_state, c.to_state, c.by) for c in history] == [
        ("opened", None, "open", "triage"), ("seen", "open", "seen", "Lt Mbala"),
        ("respond", "seen", "responding", "Lt Mbala"), ("close", "responding", "closed", "Capt Kabila")]
    assert history[2].note == "patrol sent" and history[3].at == T0 + 900
    published = base.published()
    assert [p["version"] for p in published] == [1, 2, 3, 4]
    assert [p["state"] for p in published] == ["open", "seen", "responding", "closed"]
    assert published[-1]["change"] == {"action": "close", "by": "Capt Kabila", "from": "responding",
                                       "to": "closed", "note": "calm again",
                                       "at": published[-1]["change"]["at"]}
    # a newer version replaces the one still waiting in the queue
    states = base.store.db.execute("SELECT state FROM outbox WHERE recipient = 'incidents'"
                                   " ORDER BY id").fetchall()
    assert [s for (s,) in states] == ["done", "done", "done", "pending"]


@pytest.mark.parametrize(("first", "then", "message"), [
    ("close", "seen", "is closed: it cannot be marked seen"),
    ("false-alarm", "respond", "is false_alarm"),
    ("respond", "seen", "is responding"),
])
def test_a_change_that_makes_no_sense_is_refused(base, first, then, message):
    number = base.incident_of(base.report("2 kamango").id)
    change_state(base.store, base.config, number, first, "duty", "")
    with pytest.raises(IncidentError, match=message):
        change_state(base.store, base.config, number, then, "duty", "")
    with pytest.raises(IncidentError, match="who"):
        change_state(base.store, base.config, number, "reopen", " ", "")


def test_the_operators_confirmation_confirms(base):
    alert = base.report("2 kamango")
    assert incident(base, alert).level == "single"
    change_state(base.store, base.config, base.incident_of(alert.id), "confirm", "duty",
                 "seen by the patrol")
    assert incident(base, alert).level == "confirmed" and incident(base, alert).state == "open"


def test_an_unparsed_report_is_attached_by_merging_it(base):
    attack = base.report("2 kamango", T0, A)
    unparsed = base.report("ils brulent les maisons", T0 + MINUTE, B)
    into, other = base.incident_of(attack.id), base.incident_of(unparsed.id)
    assert into != other
    merged = Incidents(base.store, base.config).merge(into, [other], "duty", "same fire", T0 + 120)
    assert merged.reports == 2 and merged.senders == 2 and merged.by_hand
    gone = incident_store.get(base.store.db, other)
    assert gone.state == "merged" and gone.merged_into == into
    last = {p["id"]: p for p in base.published()}
    assert last[gone.uid]["merged_into"] == merged.uid and last[gone.uid]["state"] == "merged"
    assert sorted(last[merged.uid]["alerts"]) == sorted([attack.uid, unparsed.uid])


def test_a_split_is_kept_apart_from_automatic_merging(base):
    a = base.report("2 kamango xa", T0, A)
    b = base.report("2 kamango xb", T0 + MINUTE, B)
    number = base.incident_of(a.id)
    incidents = Incidents(base.store, base.config)
    new = incidents.split(number, [b.ref], "duty", "two attacks", T0 + 120)
    assert base.incident_of(b.id) == new.id and base.incident_of(a.id) == number
    with pytest.raises(IncidentError, match="both sides"):
        incidents.split(number, [a.ref], "duty", "", T0 + 130)
    # a third report matching both joins the older one and merges nothing
    c = base.report("2 kamango xc", T0 + 3 * MINUTE, "+243990000103")
    assert base.incident_of(c.id) == number
    assert incident_store.get(base.store.db, new.id).state == "open"
    history = incident_store.changes(base.store.db, number)
    assert history[-1].action == "split" and history[-1].note == f"{b.ref}: two attacks"
