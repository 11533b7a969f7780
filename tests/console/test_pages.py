"""What the pages do, against a real console process: live alerts over server-sent events,
registry changes with the CLI's validation and messages, CSV import, voice alerts, and the
banner that says the daemon is down."""

from __future__ import annotations

import json
import time

import httpx
import pytest
from click.testing import CliRunner

from gateway.cli import cli
from gateway.liveness import hold
from gateway.store import registry as reg
from tests.console.conftest import FOCAL, TILE


@pytest.fixture(scope="module")
def admin(base):
    client = base.client("admin")
    yield client
    client.close()


@pytest.fixture(scope="module")
def officer(base):
    client = base.client("officer")
    yield client
    client.close()


def _events(lines, wanted: int, timeout: float = 5.0) -> list[dict]:
    """Read server-sent events until `wanted` of type alert/unparsed have come."""
    events, current = [], {}
    deadline = time.monotonic() + timeout
    for line in lines:
        if line == "":
            if current.get("event") in ("alert", "unparsed"):
                events.append(current)
                if len(events) == wanted:
                    return events
            current = {}
        elif ":" in line and not line.startswith(":"):
            key, _, value = line.partition(":")
            value = value.lstrip(" ")
            current[key] = current.get(key, "") + ("\n" if key in current else "") + value
        assert time.monotonic() < deadline, "no event in time"
    return events


def test_a_committed_alert_is_pushed_to_an_open_stream_rendered_for_the_user(base, officer):
    after = base.commit_sms(FOCAL[1][0], "hatari 1 mutwanga")  # the latest before the stream
    number = int(after.rsplit("-", 1)[1])
    with officer.stream("GET", f"/feed/stream?after={number}",
                        headers={"accept": "text/event-stream"}) as answer:
        assert answer.status_code == 200
        lines = answer.iter_lines()
        ref = base.commit_sms(FOCAL[0][0], "alerte 2 kamango")
        unparsed = base.commit_sms(FOCAL[0][0], "quelque chose de bizarre")
        events = _events(lines, 2)
    assert [e["event"] for e in events] == ["alert", "unparsed"]
    assert ref in events[0]["data"] and unparsed in events[1]["data"]
    assert "+243 99• ••• •01" in events[0]["data"] and FOCAL[0][0] not in events[0]["data"]
    assert int(events[0]["id"]) < int(events[1]["id"])


def test_a_stream_resumes_after_the_last_event_it_delivered(base, officer):
    first = base.commit_sms(FOCAL[0][0], "alerte 5 kamango")
    missed = base.commit_sms(FOCAL[0][0], "alerte 6 kamango")
    with base.store() as store:
        last_seen = store.db.execute("SELECT id FROM alerts WHERE ref = ?", [first]).fetchone()[0]
    with officer.stream("GET", "/feed/stream?severity=Severe",
                        headers={"last-event-id": str(last_seen)}) as answer:
        events = _events(answer.iter_lines(), 1)
    assert missed in events[0]["data"]


def test_registry_changes_use_the_clis_validation_and_messages(base, admin):
    bad = admin.post("/registry/focal/new", data={"name": "Someone", "phone": "12ab",
                                                   "csrf": admin.csrf})
    assert bad.status_code == 400 and "not a phone number: &#39;12ab&#39;" in bad.text
    cli_says = CliRunner().invoke(cli, ["-c", str(base.config_path), "focal", "add", "12ab",
                                        "Someone"]).output
    assert "not a phone number: '12ab'" in cli_says

    added = admin.post("/registry/focal/new", data={
        "name": "Amani Kasereka", "phone": "0990 000 777", "village": "31", "language": "sw",
        "csrf": admin.csrf})
    assert added.status_code == 303
    listed = CliRunner().invoke(cli, ["-c", str(base.config_path), "focal", "list", "--json"])
    entry = next(p for p in json.loads(listed.output) if p["name"] == "Amani Kasereka")
    assert entry["phone"] == "+243990000777" and entry["village"] == "Nobili"
    with base.store() as store:
        focal_id = next(i for i, p in reg.focal_page(store, "990000777")
                        if p.phone == "+243990000777")  # numbers are sealed: found opened
    edited = admin.post(f"/registry/focal/{focal_id}", data={
        "name": "Amani K.", "phone": "+243990000778", "village": "31", "csrf": admin.csrf})
    assert edited.status_code == 303
    clash = admin.post(f"/registry/focal/{focal_id}", data={
        "name": "Amani K.", "phone": FOCAL[0][0], "csrf": admin.csrf})
    assert clash.status_code == 400 and "belongs to another focal point" in clash.text
    assert admin.post(f"/registry/focal/{focal_id}/remove", data={"csrf": admin.csrf}
                      ).status_code == 303
    with base.store() as store:
        assert store.db.execute("SELECT COUNT(*) FROM focal_points WHERE name LIKE 'Amani%'"
                                ).fetchone()[0] == 0


def test_a_csv_import_reports_each_rejected_row_as_the_cli_does(base, admin, tmp_path):
    rows = "phone,name,village\n0990000881,Good Row,Kamango\nnot-a-number,Bad Row,\n0990000882,,12\n"
    path = tmp_path / "focal.csv"
    path.write_text(rows)
    answer = admin.post("/registry/import", data={"kind": "focal", "csrf": admin.csrf},
                        files={"file": ("focal.csv", rows.encode(), "text/csv")})
    assert answer.status_code == 200
    cli_says = CliRunner().invoke(cli, ["-c", str(base.config_path), "focal", "import", str(path)])
    for line in cli_says.output.strip().splitlines():
        if line.startswith("line"):
            assert line.replace("'", "&#39;") in answer.text
    assert "imported 1 focal point(s), 2 row(s) rejected" in answer.text


def test_a_voice_alert_is_recorded_with_its_operator_and_a_wrong_code_is_explained(base, officer):
    wrong = officer.post("/voice", data={"code": "77", "via": "radio", "csrf": officer.csrf})
    assert wrong.status_code == 400 and "unknown code &#39;77&#39;" in wrong.text
    done = officer.post("/voice", data={"code": "3", "village": "12", "count": "2", "via": "phone",
                                        "note": "deux enfants enlevés", "csrf": officer.csrf})
    assert done.status_code == 303
    ref = done.headers["location"].rsplit("/", 1)[1]
    with base.store() as store:
        row = store.db.execute("SELECT channel, code, entered_by, via, count FROM alerts"
                               " WHERE ref = ?", [ref]).fetchone()
        queued = store.db.execute("SELECT destination FROM outbox o JOIN alerts a ON"
                                  " a.id = o.alert_id WHERE a.ref = ?", [ref]).fetchall()
    assert tuple(row) == ("voice", "3", "officer", "phone", 2)
    assert ("mqtt",) in queued  # it goes to headquarters like any other alert


def test_the_pages_say_when_the_daemon_is_down_and_stop_saying_it_once_it_runs(base, officer):
    assert "NOT running" in officer.get("/health").text
    lock = hold(base.db)  # what a running daemon holds
    try:
        page = officer.get("/health/panel").text
        assert "NOT running" not in page and "daemon is running" in page
    finally:
        lock.close()


def test_the_map_lists_villages_with_their_most_severe_open_incident(officer):
    villages = {v["name"]: v for v in officer.get("/map/villages.json").json()}
    assert villages["Kamango"]["severity"] == "Extreme" and villages["Kamango"]["incidents"] >= 1
    assert villages["Nobili"]["severity"] is None or villages["Nobili"]["incidents"] >= 1
    assert villages["Kamango"]["href"] == "/incidents?village=12"
    assert 'data-tiles="/map/tiles/{z}/{x}/{y}"' in officer.get("/map").text


def test_the_offline_tile_file_is_served_by_the_console_to_signed_in_users(officer):
    tile = officer.get("/map/tiles/2/1/1")  # MBTiles row 2 counted from the south
    assert tile.status_code == 200 and tile.content == TILE
    assert tile.headers["content-type"] == "image/png"
    assert officer.get("/map/tiles/2/1/2").status_code == 404  # no such tile in the file
    assert officer.get("/map/tiles/2/9/1").status_code == 404  # outside the world
    assert httpx.get(officer.base_url.join("/map/tiles/2/1/1")).status_code == 401
