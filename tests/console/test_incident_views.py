"""One incident of many reports (a flood, a long night) as the page shows it: the first of each
list and how many more, chosen the way the full lists are (the follow-ups the first reporters
would get are those the daemon would send them)."""

from __future__ import annotations

import time

from gateway.alerts.codes import load_codebook
from gateway.alerts.pipeline import Pipeline
from gateway.config import load_config
from gateway.console import incident_views
from gateway.console.incident_views import incident_page
from gateway.model import Village
from gateway.outreach.follow_ups import FollowUps
from gateway.outreach.templates import load_book
from gateway.sim.harness import write_config
from gateway.store import Store, users
from gateway.store import incidents as incident_store
from gateway.store import registry as reg
from gateway.store.inbox import NewMessage


def test_a_large_incident_shows_the_first_of_each_list_and_counts_the_rest(tmp_path, monkeypatch):
    for name, shown in (("REPORTS_SHOWN", 7), ("REPORTERS_SHOWN", 5), ("FOLLOW_UPS_SHOWN", 3)):
        monkeypatch.setattr(incident_views, name, shown)
    config = load_config(write_config(tmp_path, mqtt_port=1883))
    book = load_book()
    with Store.open(config.store.path) as store:
        reg.save_village(store, Village(12, "Kamango", (), 0.6385, 29.8773))
        officer = users.add_user(store, "duty", "officer", "a long enough password", "fr")
        pipeline = Pipeline(store, config, load_codebook())
        now = time.time()
        with store.transaction():
            for n in range(12):  # 12 people, the first three twice
                for again in range(2 if n < 3 else 1):
                    pipeline.record_message(NewMessage(
                        "sms", f"+24399070{n:04d}", f"2 Kamango {n} {again}", now + n + again))
        (incident,) = incident_store.listing(store.db, ("open",), 10, None, None, None)
        assert (incident.reports, incident.senders) == (15, 12)

        page = incident_page(store, config, load_codebook(), book, incident, officer)
        assert [alert.ref for alert, _ in page.reports] == [
            f"KWJ-{n:04d}" for n in range(1, 8)]  # the first seven, in order
        assert page.more_reports == 8
        assert [r.reports for r in page.reporters] == [2, 2, 2, 1, 1] and page.more_reporters == 7
        everyone = FollowUps(config, book, store.pseudonymiser()).plan(store.db, incident, "respond")
        assert len(everyone) == 12
        (respond,) = [f for f in page.follow_ups if f.action == "respond"]
        assert [text for *_, text in respond.planned] == [p.text for p in everyone[:3]]
        assert respond.more == 9
        assert "KWJ-0002" in everyone[0].text  # a person's latest report gives the reference
