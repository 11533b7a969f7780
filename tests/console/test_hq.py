"""Headquarters' console (`cangw console --hq`) as a real process on headquarters' store, filled
as the collector fills it: each role's pages and refusals, the bases with the silent ones
first, the map of every base's villages, incidents and alerts across bases, the villages two
bases share, live refresh on the collector's commits, and the partners' CAP Atom feed (every
entry valid against the CAP 1.2 schema), by session and by HTTP Basic."""

from __future__ import annotations

import base64
import json
import sqlite3
import time

import httpx
import pytest
from click.testing import CliRunner
from lxml import etree

from gateway.cli import cli
from gateway.sim.console_run import ConsoleProcess
from tests.cap.schema import NS, SCHEMA
from tests.console.conftest import PASSWORD, Client
from tests.console.hq_data import HQ_ROLES, PSEUDONYM, alert, make_hq

STAFF = {"officer", "technician", "admin"}
WATCH = {"officer", "admin"}
PAGES = {  # GET path -> the roles that may open it
    "/bases": STAFF,
    "/bases/panel": STAFF,
    "/map": WATCH,
    "/map/places.json": WATCH,
    "/incidents": WATCH,
    "/incidents/panel": WATCH,
    "/shared": WATCH,
    "/shared/panel": WATCH,
    "/feed.atom": {"officer", "admin", "partner"},
    "/audit": {"admin"},
}
BASE_ONLY = ("/feed", "/health", "/registry", "/voice", "/admin/wipe", "/alerts/KWJ-0001")


@pytest.fixture(scope="module")
def hq(tmp_path_factory):
    site = make_hq(tmp_path_factory.mktemp("hq"))
    with ConsoleProcess(site.config, site.url, log_level="DEBUG", hq=True) as console:
        site.console = console
        yield site


@pytest.fixture(scope="module")
def clients(hq):
    made = {role: Client.logged_in(hq.url, role, page="/bases") for role in HQ_ROLES}
    yield made
    for client in made.values():
        client.close()


def _basic(name: str, password: str = PASSWORD) -> dict[str, str]:
    return {"authorization": "Basic " + base64.b64encode(f"{name}:{password}".encode()).decode()}


def test_headquarters_users_live_in_its_store(hq):
    with sqlite3.connect(hq.db) as db:
        assert sorted(db.execute("SELECT name, role FROM console_users")) == [
            ("admin", "admin"), ("officer", "officer"), ("partner", "partner"),
            ("technician", "technician")]
    listed = CliRunner().invoke(cli, ["user", "--hq", "list", "--json", "-c", str(hq.config)])
    assert {u["name"] for u in json.loads(listed.output)} == set(HQ_ROLES)


@pytest.mark.parametrize("role", HQ_ROLES)
def test_each_role_opens_its_pages_and_gets_403_on_the_others(clients, role):
    for path, allowed in PAGES.items():
        answer = clients[role].get(path)
        assert answer.status_code == (200 if role in allowed else 403), (role, path)
    stream = clients[role].get("/hq/stream", headers={"accept": "text/event-stream"}) \
        if role == "partner" else None
    assert stream is None or stream.status_code == 403
    for path in BASE_ONLY:  # a base's pages do not exist here
        assert clients[role].get(path).status_code == 404, path


def test_every_page_asks_for_a_login_and_each_role_starts_on_its_own_page(hq, clients):
    with httpx.Client(base_url=hq.url, headers={"accept": "text/html"}) as anonymous:
        for path in PAGES:
            answer = anonymous.get(path)
            assert answer.status_code == 303 and answer.headers["location"].startswith("/login")
    homes = {role: clients[role].get("/").headers["location"] for role in HQ_ROLES}
    assert homes == {"officer": "/bases", "technician": "/bases", "admin": "/bases",
                     "partner": "/feed.atom"}
    nav = clients["partner"].get("/feed.atom", headers={"accept": "text/html"})
    assert nav.status_code == 200  # the feed itself, not a page with others' links
    assert clients["officer"].post("/language", data={"language": "fr"}).status_code == 403


def test_the_bases_page_puts_the_silent_ones_first_and_makes_them_stand_out(clients):
    page = clients["officer"].get("/bases").text
    rows = [page.index(f'id="base-{base}"') for base in ("BNI", "GOM", "KWJ")]
    assert rows == sorted(rows)
    assert 'class="base base-silent" id="base-BNI"' in page
    assert "its status says offline (lost)" in page
    assert 'class="base base-never-heard" id="base-GOM"' in page
    assert 'class="base base-online" id="base-KWJ"' in page and "Kiwanja" in page
    assert '<span class="chip link-up">gsm <span class="state">up</span>' in page
    assert "3 bases: 1 online, 2 silent or never heard" in page
    assert 'href="/incidents?base=KWJ"' in page
    technician = clients["technician"].get("/bases").text
    assert "base-silent" in technician and 'href="/incidents' not in technician
    assert "hommes armés" not in technician and PSEUDONYM not in technician


def test_the_map_has_every_bases_villages_with_their_worst_alert_and_silent_bases_marked(clients):
    points = {(p["base"], p["number"]): p for p in clients["officer"].get("/map/places.json").json()}
    assert sorted(points) == [("BNI", 3), ("BNI", 7), ("KWJ", 12), ("KWJ", 204)]
    assert (points["KWJ", 12]["severity"], points["KWJ", 12]["alerts"], points["KWJ", 12]["silent"]) \
        == ("Extreme", 1, False)
    assert points["KWJ", 204]["severity"] == "Minor"
    assert (points["BNI", 3]["severity"], points["BNI", 3]["silent"]) == ("Severe", True)
    assert points["BNI", 7]["severity"] is None and points["BNI", 7]["name"] == "Oicha (BNI)"
    assert points["KWJ", 12]["href"] == "/incidents?base=KWJ&village=12"
    page = clients["officer"].get("/map").text
    assert 'data-villages="/map/places.json"' in page and "Base silent" in page


def test_incidents_across_bases_most_severe_first_with_the_alerts_filtered(clients):
    officer = clients["officer"]
    page = officer.get("/incidents").text
    assert page.index("KWJ-a1-I1") < page.index("BNI-b2-I1") and "KWJ-a1-I0" not in page
    assert "responding" in page and "corroborated" in page and "3 reports" in page
    for text in ("hommes armés", "dispute foncière", "attack near kamangu"):
        assert text in page
    assert "Attack under way" in page  # the code's words from the base's code book
    closed = officer.get("/incidents?state=closed").text
    assert "KWJ-a1-I0" in closed and "KWJ-a1-I1" not in closed
    bni = officer.get("/incidents?base=BNI").text
    assert "BNI-b2-I1" in bni and "KWJ-a1-I1" not in bni and "hommes armés" not in bni
    kamango = officer.get("/incidents?base=KWJ&village=12").text
    assert "hommes armés" in kamango and "dispute foncière" not in kamango
    assert "KWJ-a1-I0" not in officer.get("/incidents?base=KWJ'%20OR%201=1--").text


def test_alerts_from_a_village_two_bases_cover_are_seen_together(clients):
    page = clients["officer"].get("/shared").text
    assert "Kamangu / Kamango" in page or "Kamango / Kamangu" in page
    place = page[page.index('class="card place"'):]
    assert "hommes armés" in place and "attack near kamangu" in place
    assert '<span class="base-tag">BNI</span> <span class="base-tag">KWJ</span>' in place
    assert "dispute foncière" not in page  # Mutwanga is KWJ's alone


def test_an_open_page_hears_of_the_collectors_commits_and_its_panel_shows_them(hq, clients):
    officer = clients["officer"]
    with officer.stream("GET", "/hq/stream", headers={"accept": "text/event-stream"}) as answer:
        assert answer.status_code == 200
        lines = answer.iter_lines()
        hq.publish("KWJ", "alerts", alert("KWJ-a1-3", "KWJ", (204, "Mutwanga"), "Severe", "2",
                                          "coups de feu à mutwanga", ago=5))
        deadline = time.monotonic() + 10
        for line in lines:
            if line == "event: changed":
                break
            assert time.monotonic() < deadline, "no change event"
    assert "coups de feu à mutwanga" in officer.get("/incidents/panel").text
    assert "coups de feu" not in clients["technician"].get("/bases/panel").text


def test_the_cap_feed_holds_each_current_alert_as_a_valid_cap_message(clients):
    answer = clients["officer"].get("/feed.atom", headers={"accept": "application/atom+xml"})
    assert answer.status_code == 200
    assert answer.headers["content-type"].startswith("application/atom+xml")
    document = etree.fromstring(answer.content)
    entries = document.findall("atom:entry", NS)
    assert len(entries) >= 3
    identifiers = set()
    for entry in entries:
        (cap,) = entry.find("atom:content", NS)
        SCHEMA.assertValid(etree.fromstring(etree.tostring(cap)))
        identifiers.add(cap.findtext("cap:identifier", namespaces=NS))
        assert cap.findtext("cap:scope", namespaces=NS) == "Restricted"
    assert {"KWJ-a1-1", "KWJ-a1-2", "BNI-b2-1"} <= identifiers
    assert document.find("atom:link[@rel='self']", NS).get("href").endswith("/feed.atom")
    assert PSEUDONYM.encode() not in answer.content


def test_a_partners_reader_fetches_the_feed_with_http_basic_and_nothing_else(hq, clients):
    with httpx.Client(base_url=hq.url) as reader:
        nothing = reader.get("/feed.atom")
        assert nothing.status_code == 401 and nothing.headers["www-authenticate"].startswith("Basic")
        feed = reader.get("/feed.atom", headers=_basic("partner"))
        assert feed.status_code == 200 and b"<entry>" in feed.content
        wrong = reader.get("/feed.atom", headers=_basic("partner", "not the password"))
        assert wrong.status_code == 401 and "www-authenticate" in wrong.headers
        assert reader.get("/feed.atom", headers=_basic("technician")).status_code == 403
        assert reader.get("/feed.atom", headers={"authorization": "Basic !!"}).status_code == 401
        assert reader.get("/bases", headers=_basic("partner")).status_code == 401  # feed only
    partner = clients["partner"]
    for path in ("/bases", "/incidents", "/map/places.json", "/shared", "/audit"):
        answer = partner.get(path)
        assert answer.status_code == 403 and "hommes armés" not in answer.text


def test_actions_are_audited_in_headquarters_store_and_the_log_names_no_text(hq, clients):
    clients["partner"].get("/shared")
    with httpx.Client(base_url=hq.url) as reader:
        reader.get("/feed.atom", headers=_basic("partner"))
    listed = CliRunner().invoke(cli, ["-c", str(hq.config), "audit", "--hq", "list", "--json",
                                      "--limit", "500"])
    entries = {(e["user"], e["action"], e["target"]) for e in json.loads(listed.output)}
    assert ("partner", "login", None) in entries
    assert ("partner", "refused", "/shared") in entries
    assert ("partner", "feed read", "/feed.atom") in entries
    assert ("partner", "login failed", "/feed.atom") in entries
    log = hq.console.log
    assert "GET /bases" in log and "Traceback" not in log
    for secret in ("hommes armés", "kamangu market", PSEUDONYM, PASSWORD):
        assert secret not in log
