"""Follow-ups: the people who reported an incident hear that the base acted, in their language
and with their own reference, once per change, within a daily cap; off unless configured."""

from __future__ import annotations

from gateway.alerts.codes import load_codebook
from gateway.alerts.pipeline import Pipeline
from gateway.outreach.follow_ups import FollowUps
from gateway.outreach.templates import load_book
from gateway.store.inbox import NewMessage
from gateway.triage.incidents import change_state
from tests.outreach.conftest import HF, make_base

KAHINDO, BARAKA, RADIO = "+243990000101", "+243990000102", "9Q2NOB"
T = 1.8e9


class Reports:
    def __init__(self, folder, outreach: str):
        self.config, self.store = make_base(folder, HF + "\n[outreach]\n" + outreach)
        self.pipeline = Pipeline(self.store, self.config, load_codebook(), clock=lambda: T)
        self.follow_ups = FollowUps(self.config, load_book(), self.store.pseudonymiser())
        self.look()  # a base that just gained follow-ups starts from now

    def report(self, sender: str, text: str, channel: str = "sms"):
        with self.store.transaction():
            return self.pipeline.record_message(NewMessage(channel, sender, text, T))

    def look(self, now: float = T) -> int:
        with self.store.transaction() as db:
            return self.follow_ups.run(db, now)

    def act(self, alert, action: str, now: float = T) -> None:
        incident = self.store.db.execute("SELECT incident_id FROM incident_alerts WHERE"
                                          " alert_id = ?", [alert.id]).fetchone()[0]
        change_state(self.store, self.config, incident, action, "Lt Mbala", "patrol", now=now)

    def sent(self) -> list[tuple[str, str, str]]:
        return self.store.db.execute(
            "SELECT destination, unseal(recipient), unseal(body) FROM outbox WHERE priority = 4"
            " ORDER BY id"
        ).fetchall()


def test_each_reporter_hears_once_per_change_in_their_language(tmp_path):
    base = Reports(tmp_path, 'follow_ups = ["respond", "close"]\n')
    first = base.report(KAHINDO, "2 Kamango")
    again = base.report(KAHINDO, "2 Kamango 20 hommes armes")
    other = base.report(BARAKA, "2 Kamango")
    radio = base.report(RADIO, "2 Kamango", channel="hf")
    assert len({base.store.db.execute("SELECT incident_id FROM incident_alerts WHERE alert_id"
                                      " = ?", [a.id]).fetchone()[0]
                for a in (first, again, other, radio)}) == 1
    base.act(first, "seen")
    assert base.look() == 0  # seen is not answered
    base.act(first, "respond")
    assert base.look() == 3 and base.look() == 0
    assert base.sent() == [
        ("sms", KAHINDO, f"{again.ref}: une patrouille est en route vers Kamango."),
        ("sms", BARAKA, f"{other.ref}: doria iko njiani kuelekea Kamango."),
        ("hf", RADIO, f"{radio.ref}: doria iko njiani kuelekea Kamango.")]
    base.act(first, "close")
    assert base.look() == 3
    assert base.sent()[-1][2] == f"{radio.ref}: kituo kimefunga tukio hili. Asante kwa taarifa yako."


def test_the_daily_cap_and_the_budget_are_kept_and_what_is_not_sent_is_kept_as_skipped(tmp_path):
    base = Reports(tmp_path, 'follow_ups = ["respond", "close", "false-alarm"]\n'
                             'follow_ups_per_day = 1\n')
    alert = base.report(KAHINDO, "2 Kamango")
    base.act(alert, "respond")
    base.act(alert, "close")
    assert base.look() == 1
    states = base.store.db.execute("SELECT action, state, reason FROM follow_ups ORDER BY id"
                                   ).fetchall()
    assert states == [("respond", "queued", None),
                      ("close", "skipped", "already 1 follow-up(s) today")]
    later = base.report(KAHINDO, "2 Kamango")  # the next day: a new incident
    base.act(later, "false-alarm", now=T + 86400)
    assert base.look(T + 86400) == 1


def test_follow_ups_are_off_unless_configured(tmp_path):
    base = Reports(tmp_path, "")
    alert = base.report(KAHINDO, "2 Kamango")
    base.act(alert, "respond")
    assert base.look() == 0 and base.sent() == []
