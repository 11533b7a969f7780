"""The silence watch on a controllable clock: missed check-ins become silences (events, status,
the panel's light, `cangw network silent`), several villages of one zone silent together an
incident, and a silence ends when the village is heard again."""

from __future__ import annotations

import datetime as dt
import json

import pytest
from click.testing import CliRunner

from gateway.cli import cli
from gateway.model import Village
from gateway.panel.config import PanelConfig
from gateway.panel.view import BLINK, OFF, read_view
from gateway.status import collect
from gateway.store import incidents as incident_store
from gateway.store import registry as reg
from gateway.store import silences
from gateway.triage.watch import SilenceWatch
from tests.triage.conftest import Base

ZONE = dt.timezone(dt.timedelta(hours=2))  # Africa/Lubumbashi, the base's zone


def local(day: int, hour: int, minute: int = 0) -> float:
    """A local time in November 2030 (after the focal points were registered, now)."""
    return dt.datetime(2030, 11, day, hour, minute, tzinfo=ZONE).timestamp()


@pytest.fixture
def watched(tmp_path):
    base = Base(tmp_path, '\n[triage]\ncheckin_grace = 60\n'
                          'schedules = { roll_call = "at 07:00, 17:00 within 30" }\n'
                          'checkin = { "zone:Ruwenzori" = "by 18:00", hf = "roll_call" }\n')
    for number, name in ((12, "Kamango"), (31, "Nobili"), (47, "Kasindi")):
        found = reg.find_village(base.store, str(number))
        reg.save_village(base.store, Village(number, name, (), found.lat, found.lon, "Ruwenzori"))
    reg.save_focal_point(base.store, reg.make_focal_point(
        base.store, None, "Radio Oicha", "58", None, "+243", callsign="9Q2OIC"))
    base.watch = SilenceWatch(base.store, base.config)
    base.watch.check(local(20, 17))  # the watch starts: earlier slots are not judged
    yield base
    base.close()


def events(base) -> list[dict]:
    return [json.loads(b) for (b,) in base.store.db.execute(
        "SELECT body FROM outbox WHERE destination = 'mqtt' AND recipient IS NULL"
        " AND body IS NOT NULL ORDER BY id")]


def villages(started: list) -> list[int]:
    return sorted(s.subject for s in started if s.kind == "village")


def test_a_missed_check_in_is_a_silence_and_two_villages_of_a_zone_an_incident(watched):
    watched.report("9", local(20, 20), "+243990000101")  # Kamango's focal point: all calm
    watched.report("9", local(21, 9), "+243990000102")  # Nobili's
    assert villages(watched.watch.check(local(21, 18, 0))) == []  # the grace is not over
    assert villages(watched.watch.check(local(21, 18, 2))) == [47]  # Kasindi: never heard
    assert watched.watch.check(local(21, 18, 30)) == []  # one silence until heard again
    assert not incident_store.listing(watched.store.db)  # one village alone is no incident

    assert villages(watched.watch.check(local(22, 18, 2))) == [12, 31]
    silent = incident_store.listing(watched.store.db)
    assert len(silent) == 1
    incident = silent[0]
    assert (incident.category, incident.severity, incident.zone) == ("silence", "Severe",
                                                                     "Ruwenzori")
    assert [number for number, _ in incident.villages] == [12, 31]  # Kasindi's was a day before
    overdue = [e for e in events(watched) if e["subject"] == "village"]
    assert [(e["village"]["number"], e["state"]) for e in overdue] == \
        [(47, "overdue"), (12, "overdue"), (31, "overdue")]
    assert overdue[-1]["due_at"] == "2030-11-22T16:00:00.000Z"
    linked = {s.subject: s.incident_id for s in silences.open_silences(watched.store.db)}
    assert (linked[12], linked[31], linked[47]) == (incident.id, incident.id, None)


def test_a_silence_ends_when_the_village_is_heard_and_headquarters_is_told(watched):
    watched.watch.check(local(21, 18, 2))
    assert silences.count_open(watched.store.db) == 4  # three villages and the radio
    watched.report("2 kasindi", local(21, 19), "+243997770001")  # anyone reporting from there
    open_now = {(s.kind, s.subject) for s in silences.open_silences(watched.store.db)}
    assert ("village", 47) not in open_now
    heard = [e for e in events(watched) if e["state"] == "heard"]
    assert heard[0]["village"]["number"] == 47 and heard[0]["heard_at"] == "2030-11-21T17:00:00.000Z"


def test_a_radio_roll_call_missed_names_a_pseudonym_never_a_callsign(watched):
    watched.report("9", local(21, 7, 10), "9Q2OIC-1", channel="hf")  # answered the morning call
    assert all(s.kind == "village" for s in watched.watch.check(local(21, 17, 20)))  # not over yet
    started = watched.watch.check(local(21, 17, 32))
    assert [s.kind for s in started] == ["focal"]
    event = [e for e in events(watched) if e["subject"] == "focal_point"][-1]
    assert event["focal_point"].startswith("fp-") and "9Q2OIC" not in json.dumps(event)
    assert event["due_at"] == "2030-11-21T15:30:00.000Z"


def test_status_the_panel_and_the_cli_show_who_is_silent(watched, tmp_path):
    db = watched.store.db
    panel = PanelConfig(silence=5)
    assert read_view(db, panel, dt.datetime.now()).silence == OFF
    watched.watch.check(local(21, 18, 2))
    view = read_view(db, panel, dt.datetime.now())
    assert view.silence == BLINK and view.buzzer is None  # a light, never the buzzer
    status = collect(watched.store, watched.config)["silence"]
    assert status["overdue"] == 4 and status["villages"] == 4
    listed = CliRunner().invoke(cli, ["-c", str(watched.config.source), "network", "silent",
                                      "--json"])
    assert listed.exit_code == 0, listed.output
    rows = json.loads(listed.output)
    assert {r["who"] for r in rows} == {"Kamango", "Nobili", "Kasindi", "Radio Oicha"}
