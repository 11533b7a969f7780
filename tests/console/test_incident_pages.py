"""Incidents and the network at the console, against a real console process: the list with
its filters, one incident's corroboration as each role may see it, the duty officer's changes
through the triage functions (recorded, published, audited, refused when they cannot be made),
merge and split, and the silence watch and coverage report."""

from __future__ import annotations

import pytest

from gateway.sim.harness import query
from tests.console.conftest import FOCAL, OPS_FOCAL, UNKNOWN


@pytest.fixture(scope="module")
def clients(ops):
    made = {role: ops.client(role) for role in ("officer", "technician", "admin")}
    yield made
    for client in made.values():
        client.close()


def _state(ops, ref: str) -> str:
    return query(ops.db, "SELECT state FROM incidents WHERE ref = ?", [ref])[0][0]


def test_the_list_shows_open_incidents_and_filters_by_zone_and_village(clients):
    officer = clients["officer"]
    page = officer.get("/incidents").text
    assert all(ref in page for ref in ("KWJ-I0001", "KWJ-I0002", "KWJ-I0003"))
    north = officer.get("/incidents", params={"zone": "north"}).text
    assert "KWJ-I0001" in north and "KWJ-I0002" not in north  # Mutwanga is in the south
    mutwanga = officer.get("/incidents", params={"village": "204"}).text
    assert "KWJ-I0002" in mutwanga and "KWJ-I0001" not in mutwanga
    assert "KWJ-I0001" not in officer.get("/incidents", params={"state": "closed"}).text


def test_an_incident_shows_its_independent_senders_names_to_officers_but_never_numbers(clients):
    page = clients["officer"].get("/incidents/KWJ-I0001").text
    assert "3 (3 registered)" in page  # three people, each registered
    for phone, name, *_ in (FOCAL[0], *OPS_FOCAL[:2]):
        assert name in page and phone not in page and phone[4:] not in page
    assert "+243 99• ••• •01" in page and "hommes armés" in page
    assert "KWJ-0001" in page and "KWJ-0004" in page and "KWJ-0005" in page
    assert "une patrouille est en route vers Kamango" in page  # the follow-up it would send
    admin = clients["admin"].get("/incidents/KWJ-I0001").text
    assert FOCAL[0][0] in admin


def test_technicians_read_incidents_without_texts_names_numbers_or_notes(ops, clients):
    clients["officer"].post("/incidents/KWJ-I0003/state", data={
        "csrf": clients["officer"].csrf, "action": "seen", "note": "appelé Kahindo Masika"})
    technician = clients["technician"]
    for path in ("/incidents", "/incidents/KWJ-I0001", "/incidents/KWJ-I0003"):
        page = technician.get(path).text
        for phone, name, *_ in (*FOCAL, *OPS_FOCAL):
            assert name not in page and phone not in page, path
        assert "+243 99•" not in page  # not even masked
        assert "hommes armés" not in page and "bruits bizarres" not in page
        assert UNKNOWN not in page and "patrouille" not in page
    assert "3 (3 registered)" in technician.get("/incidents/KWJ-I0001").text
    assert "state-form" not in technician.get("/incidents/KWJ-I0001").text


def test_marking_seen_then_responding_goes_through_triage_and_is_published_and_audited(ops, clients):
    officer = clients["officer"]
    answer = officer.post("/incidents/KWJ-I0002/state", data={
        "csrf": officer.csrf, "action": "seen", "note": "patrouille avisée"})
    assert answer.status_code == 303 and answer.headers["location"] == "/incidents/KWJ-I0002"
    officer.post("/incidents/KWJ-I0002/state", data={"csrf": officer.csrf, "action": "respond"})
    assert _state(ops, "KWJ-I0002") == "responding"
    changes = query(ops.db, "SELECT c.by, c.action, c.note FROM incident_changes c JOIN incidents"
                    " i ON i.id = c.incident_id WHERE i.ref = 'KWJ-I0002' ORDER BY c.id")
    assert changes[-2:] == [("officer", "seen", "patrouille avisée"), ("officer", "respond", "")]
    assert query(ops.db, "SELECT COUNT(*) FROM outbox WHERE destination = 'mqtt' AND"
                 " recipient LIKE '%incidents%'")[0][0] >= 2  # one per change, for the daemon
    audited = query(ops.db, "SELECT user, action, target FROM audit WHERE action LIKE 'incident%'")
    assert ("officer", "incident seen", "KWJ-I0002") in audited
    again = officer.post("/incidents/KWJ-I0002/state", data={"csrf": officer.csrf,
                                                             "action": "seen"})
    assert again.status_code == 400 and "cannot be marked seen" in again.text


def test_merge_and_split_by_hand(ops, clients):
    officer = clients["officer"]
    answer = officer.post("/incidents/KWJ-I0001/merge", data={
        "csrf": officer.csrf, "others": "KWJ-I0003", "note": "the same attack"})
    assert answer.status_code == 303
    assert _state(ops, "KWJ-I0003") == "merged"
    assert "KWJ-0003" in officer.get("/incidents/KWJ-I0001").text
    answer = officer.post("/incidents/KWJ-I0001/split", data={
        "csrf": officer.csrf, "alert": ["KWJ-0003"], "note": "not the same"})
    assert answer.status_code == 303
    new_ref = answer.headers["location"].rsplit("/", 1)[1]
    assert query(ops.db, "SELECT a.ref FROM incident_alerts m JOIN alerts a ON a.id = m.alert_id"
                 " JOIN incidents i ON i.id = m.incident_id WHERE i.ref = ?", [new_ref]) == [
        ("KWJ-0003",)]
    refused = officer.post("/incidents/KWJ-I0001/split", data={
        "csrf": officer.csrf, "alert": ["KWJ-0002"]})
    assert refused.status_code == 400 and "is not a report of" in refused.text


def test_the_network_page_shows_who_is_overdue_and_where_coverage_is_thin(clients):
    officer = clients["officer"].get("/network").text
    assert OPS_FOCAL[2][1] in officer  # overdue, named for officers
    thin = officer.split('id="without-active"')[1].split("</strong>")[0]
    assert "Nobili" in thin and "Kamango" not in thin  # nobody heard from Nobili
    technician = clients["technician"].get("/network").text
    assert OPS_FOCAL[2][1] not in technician and "a focal point" in technician
    zones = technician.split('class="rows zones"')[1]
    row = zones.split("<td>north</td>")[1].split("</tr>")[0]
    assert "<td>2</td><td>4</td><td>2</td>" in row  # 2 villages, 4 focal points, 2 women


def test_the_map_colours_villages_by_their_open_incidents_and_marks_silent_ones(ops, clients):
    villages = {v["name"]: v for v in clients["officer"].get("/map/villages.json").json()}
    assert villages["Kamango"]["severity"] == "Extreme" and not villages["Kamango"]["silent"]
    assert villages["Nobili"]["silent"] and villages["Nobili"]["href"] == "/incidents?village=31"
    officer = clients["officer"]
    closed = officer.post("/incidents/KWJ-I0002/state", data={"csrf": officer.csrf,
                                                              "action": "close"})
    assert closed.status_code == 303  # Mutwanga's only incident: the village goes quiet
    villages = {v["name"]: v for v in clients["officer"].get("/map/villages.json").json()}
    assert villages["Mutwanga"]["severity"] is None and villages["Mutwanga"]["incidents"] == 0


def test_the_feed_filters_by_zone_and_links_each_alert_to_its_incident(clients):
    south = clients["officer"].get("/feed", params={"zone": "south"}).text
    assert "KWJ-0002" in south and "KWJ-0001" not in south  # Mutwanga is the south
    north = clients["officer"].get("/feed", params={"zone": "north"}).text
    assert "KWJ-0001" in north and "KWJ-0002" not in north
    assert 'href="/incidents/KWJ-I0001"' in north
