"""The base console's `/feed.atom`: the current incidents as CAP 1.2 messages for partners, read
with HTTP Basic or a session; every other reader and every other page refused."""

from __future__ import annotations

import base64
import json
from contextlib import closing

import httpx
import pytest
from click.testing import CliRunner
from lxml import etree

from gateway.cli import cli
from gateway.config import load_config
from gateway.sim.console_run import ConsoleProcess
from gateway.store import Store
from gateway.store import incidents as incident_store
from gateway.triage.incidents import change_state
from tests.cap.schema import NS, SCHEMA
from tests.console.conftest import FOCAL, PASSWORD, UNKNOWN, Client, login_csrf, make_base
from tests.console.test_access import PAGES


@pytest.fixture(scope="module")
def site(tmp_path_factory):
    folder = tmp_path_factory.mktemp("capfeed")
    config, url = make_base(folder)
    added = CliRunner().invoke(cli, ["-c", str(config), "user", "add", "ngo", "--role",
                                     "partner", "--language", "en", "--password", PASSWORD])
    assert added.exit_code == 0, added.output
    with ConsoleProcess(config, url, log_level="DEBUG") as console:
        yield config, url, console


def _basic(name: str, password: str = PASSWORD) -> dict[str, str]:
    return {"authorization": "Basic " + base64.b64encode(f"{name}:{password}".encode()).decode()}


def entries(content: bytes) -> dict[str, etree._Element]:
    """Each entry's id -> its CAP message, checked against the schema."""
    found = {}
    for entry in etree.fromstring(content).findall("atom:entry", NS):
        (cap,) = entry.find("atom:content", NS)
        SCHEMA.assertValid(etree.fromstring(etree.tostring(cap)))
        found[entry.findtext("atom:id", namespaces=NS)] = cap
    return found


def test_a_partner_reads_the_current_incidents_as_cap(site):
    config, url, _ = site
    with httpx.Client(base_url=url) as reader:
        answer = reader.get("/feed.atom", headers=_basic("ngo"))
    assert answer.status_code == 200
    assert answer.headers["content-type"].startswith("application/atom+xml")
    assert answer.headers["cache-control"] == "private, no-store"
    found = entries(answer.content)
    with Store.open(load_config(config).store.path) as store:
        incidents = incident_store.changed_since(store.db)
    assert sorted(found) == sorted(f"urn:cangw:incident:cangw.kwj:{i.uid}" for i in incidents)
    for cap in found.values():
        assert cap.findtext("cap:msgType", namespaces=NS) == "Alert"
        assert cap.findtext("cap:scope", namespaces=NS) == "Restricted"
    document = etree.fromstring(answer.content)
    assert document.find("atom:link[@rel='self']", NS).get("href") == f"{url}/feed.atom"
    for phone, name, _ in [*FOCAL, (UNKNOWN, "", "")]:
        assert phone[4:].encode() not in answer.content
        assert all(part.encode() not in answer.content for part in name.split())
    assert "hommes armés".encode() not in answer.content  # no free text: counts and codes only


def test_a_false_alarm_becomes_a_cancel_in_the_same_entry(site):
    config, url, _ = site
    loaded = load_config(config)
    with Store.open(loaded.store.path) as store:
        attack = next(i for i in incident_store.changed_since(store.db)
                      if i.category == "attack")
        change_state(store, loaded, attack.id, "false-alarm", "duty", "")
        kept = incident_store.versions(store.db, attack.id)
    with httpx.Client(base_url=url) as reader:
        found = entries(reader.get("/feed.atom", headers=_basic("ngo")).content)
    cap = found[f"urn:cangw:incident:cangw.kwj:{attack.uid}"]
    assert cap.findtext("cap:msgType", namespaces=NS) == "Cancel"
    assert cap.findtext("cap:identifier", namespaces=NS) == f"{attack.uid}-v2"
    assert cap.findtext("cap:references", namespaces=NS).startswith(
        f"cangw.kwj,{attack.uid}-v1,")
    assert [version for version, _ in kept] == [1, 2]


def test_readers_without_the_right_are_refused(site):
    _, url, _ = site
    with httpx.Client(base_url=url) as reader:
        nothing = reader.get("/feed.atom")
        assert nothing.status_code == 401
        assert nothing.headers["www-authenticate"] == \
            'Basic realm="cangw KWJ CAP feed", charset="UTF-8"'
        wrong = reader.get("/feed.atom", headers=_basic("ngo", "not the password"))
        assert wrong.status_code == 401 and b"<entry>" not in wrong.content
        unknown = reader.get("/feed.atom", headers=_basic("nobody"))
        assert unknown.status_code == 401
        assert reader.get("/feed.atom", headers={"authorization": "Basic !!"}).status_code == 401
        refused = reader.get("/feed.atom", headers=_basic("technician"))  # no right to it
        assert refused.status_code == 403 and b"<entry>" not in refused.content
        assert reader.get("/feed", headers=_basic("ngo")).status_code == 401  # the feed only
    with httpx.Client(base_url=url, headers={"accept": "text/html"}) as browser:
        answer = browser.get("/feed.atom")
        assert answer.status_code == 303 and answer.headers["location"].startswith("/login")


def test_a_signed_in_partner_sees_the_cap_feed_and_nothing_else(site):
    _, url, _ = site
    with closing(_partner_session(url)) as partner:
        assert partner.get("/").headers["location"] == "/feed.atom"
        assert partner.get("/feed.atom").status_code == 200
        for path in PAGES:
            answer = partner.get(path)
            assert answer.status_code == 403, path
            assert "Kamango" not in answer.text and "hommes" not in answer.text
        stream = partner.get("/feed/stream", headers={"accept": "text/event-stream"})
        assert stream.status_code == 403
    with closing(Client.logged_in(url, "officer")) as officer:
        assert officer.get("/feed.atom").status_code == 200


def _partner_session(url: str) -> httpx.Client:
    """Signed in at the login form (the partner's home is the feed, which has no CSRF token)."""
    client = Client(base_url=url, headers={"accept": "text/html"}, timeout=10)
    token = login_csrf(client)
    answer = client.post("/login", data={"name": "ngo", "password": PASSWORD, "csrf": token})
    assert answer.status_code == 303, answer.text
    return client


def test_reads_and_failures_are_audited(site):
    config, url, console = site
    with httpx.Client(base_url=url) as reader:
        reader.get("/feed.atom", headers=_basic("ngo"))
        reader.get("/feed.atom", headers=_basic("ngo", "wrong again"))
        reader.get("/feed.atom", headers=_basic("technician"))
    listed = CliRunner().invoke(cli, ["-c", str(config), "audit", "list", "--json", "--limit",
                                      "500"])
    found = {(e["user"], e["action"], e["target"]) for e in json.loads(listed.output)}
    assert {("ngo", "feed read", "/feed.atom"), ("ngo", "login failed", "/feed.atom"),
            ("technician", "refused", "/feed.atom")} <= found
    assert PASSWORD not in console.log
