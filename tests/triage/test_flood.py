"""One sender must not bury the others: exact repeats fold, a sender over the rate is throttled
(everything stored and forwarded, one acknowledgement per window, no panel alarm each time)."""

from __future__ import annotations

import datetime as dt
import json

from gateway.gsm.sms_pdu import decode_deliver
from gateway.sim.deliver_pdu import build_deliver_pdus
from gateway.store import seen as seen_store
from tests.triage.conftest import MINUTE, T0

FLOODER, OTHER = "+243990000101", "+243990000102"


def sms(base, sender, text, at):
    """An SMS sent at `at` (its own PDU: a resent SMS is not the same SMS read twice)."""
    base.now = at
    sent = dt.datetime.fromtimestamp(at, dt.UTC)
    return base.pipeline.ingest_sms(decode_deliver(build_deliver_pdus(sender, text, sent)[0].hex))


def acks(base, sender):
    return base.store.db.execute("SELECT COUNT(*) FROM outbox WHERE destination = 'sms'"
                                 " AND recipient = ?", [sender]).fetchone()[0]


def test_an_exact_repeat_folds_into_the_first_alert_and_keeps_the_message(base):
    first = sms(base, FLOODER, "2 kamango au secours", T0)
    again = sms(base, FLOODER, "2 kamango au secours", T0 + 2 * MINUTE)
    assert again.alert is None and again.repeat_of.id == first.alert.id
    db = base.store.db
    assert db.execute("SELECT COUNT(*) FROM alerts").fetchone()[0] == 1
    assert db.execute("SELECT repeats FROM alerts").fetchone()[0] == 2
    assert db.execute("SELECT COUNT(*) FROM messages").fetchone()[0] == 2  # both kept
    assert db.execute("SELECT COUNT(*) FROM message_folds").fetchone()[0] == 1
    assert acks(base, FLOODER) == 1  # the first acknowledgement carries the reference
    incident = base.published()[-1]
    assert incident["reports"] == 1 and incident["repeats"] == 1 and incident["version"] == 2
    # the alert goes out again with its count, once
    assert db.execute("SELECT COUNT(*) FROM outbox WHERE destination = 'mqtt'"
                      " AND alert_id = ? AND state = 'pending'", [first.alert.id]).fetchone()[0] == 1


def test_a_repeat_after_the_window_or_from_another_sender_is_a_new_report(base):
    sms(base, FLOODER, "2 kamango", T0)
    assert sms(base, FLOODER, "2 kamango", T0 + 11 * MINUTE).alert is not None
    assert sms(base, OTHER, "2 kamango", T0 + 12 * MINUTE).alert is not None
    assert base.published()[-1]["reports"] == 3


def test_a_sender_over_the_rate_is_throttled_never_silenced(base):
    results = [sms(base, FLOODER, f"2 kamango vague {n}", T0 + n * 30) for n in range(10)]
    other = sms(base, OTHER, "1 mutwanga", T0 + 300)
    db = base.store.db
    assert all(r.alert is not None for r in results)  # every message stored as an alert
    throttled = dict(db.execute("SELECT alert_id, throttled FROM incident_alerts").fetchall())
    assert [throttled[r.alert.id] for r in results] == [0] * 6 + [1] * 4
    assert throttled[other.alert.id] == 0
    assert acks(base, FLOODER) == 6 and acks(base, OTHER) == 1
    # their alerts leave after everyone else's, and no longer sound the panel
    priorities = dict(db.execute("SELECT alert_id, priority FROM outbox WHERE destination ="
                                 " 'mqtt' AND alert_id IS NOT NULL").fetchall())
    assert priorities[results[-1].alert.id] == 4 and priorities[other.alert.id] == 1
    alarms = {alert_id for alert_id, _ in seen_store.unseen_alarms(db, ("Extreme", "Severe"))}
    assert alarms == {r.alert.id for r in results[:6]} | {other.alert.id}
    incident = [p for p in base.published() if p["villages"][0]["number"] == 12][-1]
    assert incident["reports"] == 10 and incident["throttled_reports"] == 4


def test_a_throttled_sender_gets_one_acknowledgement_per_window(base):
    for n in range(8):
        sms(base, FLOODER, f"2 kamango {n}", T0 + n * 10)
    assert acks(base, FLOODER) == 6
    sms(base, FLOODER, "2 kamango encore", T0 + 6 * MINUTE)  # still over the rate
    assert acks(base, FLOODER) == 6
    sms(base, FLOODER, "2 kamango toujours", T0 + 11 * MINUTE)  # a window after the last ack
    assert acks(base, FLOODER) == 7


def test_the_alert_payload_says_throttled_and_names_its_incident(base):
    from gateway.alerts.payload import alert_payload
    from gateway.store import incidents as incident_store
    last = [sms(base, FLOODER, f"2 kamango {n}", T0 + n) for n in range(7)][-1].alert
    incident, throttled = incident_store.membership(base.store.db, last.id)
    payload = alert_payload(last, "KWJ", base.pipeline.codebook, base.store.pseudonymiser(),
                            str, incident, throttled)
    assert payload["throttled"] is True and payload["incident"].startswith("KWJ-")
    assert payload["incident"] == base.published()[-1]["id"]
    assert json.dumps(payload).count("+243") == 0
