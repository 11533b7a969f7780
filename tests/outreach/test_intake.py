"""STOP and START (recorded in the registry, answered once, never stopping acknowledgements),
and replies to a broadcast within the window (an alert code always makes an alert)."""

from __future__ import annotations

import itertools

import pytest

from gateway.alerts.codes import load_codebook
from gateway.alerts.pipeline import Pipeline
from gateway.model import SmsPart
from gateway.outreach import compose
from gateway.store import broadcasts as broadcast_store
from gateway.store import deliveries, opt_outs
from gateway.store import registry as reg
from tests.outreach.conftest import make_base

KAHINDO, BARAKA, UNKNOWN = "+243990000101", "+243990000102", "+243997770001"
_prints = itertools.count()


class Feed:
    def __init__(self, folder):
        self.config, self.store = make_base(folder, '\n[outreach]\nreply_window = 3600\n')
        self.now = 1.8e9
        self.pipeline = Pipeline(self.store, self.config, load_codebook(), clock=lambda: self.now)

    def sms(self, sender: str, text: str, at: float | None = None):
        self.now = at or self.now
        return self.pipeline.ingest_sms(SmsPart(f"print-{next(_prints)}", sender, text))

    def answers(self, number: str) -> list[str]:
        return [body for (body,) in self.store.db.execute(
            "SELECT unseal(body) FROM outbox WHERE destination = 'sms' AND unseal(recipient) = ?"
            " AND alert_id IS"
            " NULL AND priority < 4 ORDER BY id", [number])]

    def acks(self, number: str) -> int:
        return self.store.db.execute("SELECT COUNT(*) FROM outbox WHERE destination = 'sms' AND"
                                     " unseal(recipient) = ? AND alert_id IS NOT NULL",
                                     [number]).fetchone()[0]


@pytest.fixture
def feed(tmp_path):
    made = Feed(tmp_path)
    yield made
    made.store.close()


def focal_id(feed, number):
    return reg.focal_identity(feed.store.db, number)[0]


def test_stop_is_recorded_answered_once_and_never_stops_acknowledgements(feed, book):
    assert feed.sms(KAHINDO, "ARRET").alert is None
    assert opt_outs.off_since(feed.store.db, focal_id(feed, KAHINDO)) == feed.now
    assert feed.sms(KAHINDO, "stop!").alert is None  # already stopped: kept, not answered
    assert feed.answers(KAHINDO) == [book.replies["stop"]["fr"]]  # her language, once
    assert feed.store.db.execute("SELECT action, answered FROM opt_changes ORDER BY id"
                                 ).fetchall()[-2:] == [("stop", 1), ("stop", 0)]
    assert feed.sms(KAHINDO, "2 Kamango").alert is not None and feed.acks(KAHINDO) == 1
    audience = compose.preview(feed.store, feed.config,
                               compose.draft(book, "village:12", template=6)).audience
    assert focal_id(feed, KAHINDO) not in {r.member.focal_id for r in audience.recipients}
    assert feed.sms(KAHINDO, "Reprise").alert is None
    assert feed.answers(KAHINDO)[-1] == book.replies["start"]["fr"]
    assert opt_outs.off_since(feed.store.db, focal_id(feed, KAHINDO)) is None


def test_a_stop_from_an_unknown_number_is_an_ordinary_message(feed):
    assert feed.sms(UNKNOWN, "ACHA").alert is not None


def test_a_message_soon_after_a_broadcast_is_a_reply_unless_it_has_a_code(feed, book):
    row, _ = compose.send(feed.store, feed.config, compose.draft(book, "village:12", template=6),
                          "duty", "cli", now=feed.now)
    with feed.store.transaction() as db:  # the network took Baraka's message
        outbox_id = next(r.outbox_id for r in broadcast_store.recipients(db, row.id)
                         if r.name == "Baraka Mumbere")
        deliveries.record_handed(db, outbox_id, feed.now)
    assert feed.sms(BARAKA, "Sawa, asante", feed.now + 60).alert is None
    assert feed.sms(BARAKA, "OK recu", feed.now + 120).alert is None
    assert feed.sms(BARAKA, "3 Kamango watu wametekwa", feed.now + 180).alert is not None
    assert feed.acks(BARAKA) == 1
    replied, words = broadcast_store.reply_counts(feed.store.db, row.id)
    assert (replied, dict(words)) == (1, {"sawa": 1, "ok": 1})
    # Kahindo's message was never handed over: hers is an ordinary report
    assert feed.sms(KAHINDO, "asante", feed.now + 200).alert is not None
    # after the window: an ordinary report again
    assert feed.sms(BARAKA, "habari", feed.now + 3600).alert is not None
