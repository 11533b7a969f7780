"""The emergency wipe from the console's admin page, against a real console process: only an
admin, only with their password typed again and the base id, only with the CSRF token; a
refusal changes nothing; the right answer destroys the key and the store, and from then on
every request answers that the gateway was wiped, a restarted console too."""

from __future__ import annotations

import json
import time

import httpx
import pytest

from gateway.sim.broker import free_port
from gateway.sim.console_run import ConsoleProcess
from gateway.sim.harness import wait_for
from gateway.store import Store
from tests.console.conftest import FOCAL, PASSWORD, Client, fill

WIPE = "/admin/wipe"


@pytest.fixture(scope="module")
def site(tmp_path_factory):
    """A base whose store has a folder of its own (the wipe erases the logs in it: the
    console's log is kept beside the configuration, as the systemd journal is on a base)."""
    folder = tmp_path_factory.mktemp("wipe")
    port = free_port()
    config = folder / "gateway.toml"
    config.write_text(f'[base]\nid = "KWJ"\nname = "Test base"\n\n[store]\npath = "data/gateway.db"\n'
                      f"\n[console]\nport = {port}\n")
    fill(folder / "data" / "gateway.db", config)
    url = f"http://127.0.0.1:{port}"
    with ConsoleProcess(config, url, log_level="DEBUG") as console:
        yield {"folder": folder, "config": config, "url": url, "console": console,
               "store": folder / "data" / "gateway.db", "key": folder / "data" / "gateway.key"}


@pytest.fixture(scope="module")
def admin(site):
    client = Client.logged_in(site["url"], "admin")
    yield client
    client.close()


def _untouched(site) -> tuple:
    """What a refused wipe must leave as it was."""
    with Store.open(site["store"]) as store:
        alerts = store.db.execute("SELECT COUNT(*) FROM alerts").fetchone()[0]
    return site["key"].read_bytes(), alerts, site["store"].with_name("gateway.db.wiped").exists()


def _audit(site) -> list[tuple]:
    with Store.open(site["store"]) as store:
        return [tuple(row) for row in store.db.execute(
            "SELECT user, action, target, detail FROM audit WHERE action LIKE 'wipe%' ORDER BY id")]


def test_officers_and_technicians_get_403_even_with_the_right_password(site):
    before = _untouched(site)
    for role in ("officer", "technician"):
        client = Client.logged_in(site["url"], role)
        assert client.get(WIPE).status_code == 403
        answer = client.post(WIPE, data={"password": PASSWORD, "base_id": "KWJ",
                                         "csrf": client.csrf})
        assert answer.status_code == 403, role
        assert 'name="base_id"' not in answer.text
        assert 'href="/admin/wipe"' not in client.get("/health").text  # no menu entry
        client.close()
    assert _untouched(site) == before


def test_a_wrong_password_a_wrong_base_id_or_no_csrf_token_refuses_and_changes_nothing(site, admin):
    before = _untouched(site)
    form = admin.get(WIPE)
    assert form.status_code == 200 and 'name="password"' in form.text and 'name="base_id"' in form.text
    wrong = admin.post(WIPE, data={"password": "not the password", "base_id": "KWJ",
                                   "csrf": admin.csrf})
    assert wrong.status_code == 403 and "Wrong password" in wrong.text
    other_base = admin.post(WIPE, data={"password": PASSWORD, "base_id": "BNI", "csrf": admin.csrf})
    assert other_base.status_code == 400 and "not this base" in other_base.text
    for forged in ({}, {"csrf": "forged"}):
        answer = admin.post(WIPE, data={"password": PASSWORD, "base_id": "KWJ", **forged})
        assert answer.status_code == 403
    answer = admin.post(WIPE, data={"password": PASSWORD, "base_id": "KWJ"},
                        headers={"x-csrf-token": "forged"})
    assert answer.status_code == 403
    assert _untouched(site) == before
    assert admin.get("/feed").status_code == 200  # the session goes on
    assert _audit(site) == [("admin", "wipe refused", None, "wrong password"),
                            ("admin", "wipe refused", None, "wrong base id")]
    refused = [e for e in _all_audit(site) if e[1] == "refused" and e[2].startswith(WIPE)]
    assert len(refused) >= 5  # officer and technician (GET and POST), the three without a token


def _all_audit(site) -> list[tuple]:
    with Store.open(site["store"]) as store:
        return [tuple(row) for row in store.db.execute("SELECT user, action, target FROM audit")]


def test_the_right_answer_wipes_and_every_later_request_says_so(site, admin):
    officer = Client.logged_in(site["url"], "officer")
    started = time.monotonic()
    answer = admin.post(WIPE, data={"password": PASSWORD, "base_id": "kwj", "csrf": admin.csrf})
    took = time.monotonic() - started
    assert answer.status_code == 200, answer.text[:500]
    assert "This gateway was wiped" in answer.text and "console" in answer.text
    assert "Data key</dt><dd>destroyed" in answer.text
    assert not site["key"].exists()
    journal = wait_for(lambda: _done(site), what="the wipe finished by the console")
    data = site["store"].parent  # listed once the console's own finishing stopped rewriting it
    assert sorted(p.name for p in data.iterdir()) == ["gateway.db.wiped"]  # the journal alone
    assert journal["trigger"] == "console" and journal["steps"]["key"] == "destroyed"
    assert took < 5.0, f"the wipe's answer took {took:.1f} s"

    for client, path in ((admin, "/feed"), (officer, "/registry"), (admin, WIPE), (admin, "/audit")):
        later = client.get(path, headers={"accept-language": "en"})  # no user any more
        assert later.status_code == 410 and "This gateway was wiped" in later.text, path
        assert FOCAL[0][1] not in later.text and "hommes armés" not in later.text
    assert admin.post(WIPE, data={"csrf": admin.csrf}).status_code == 410
    assert "a été effacée" in admin.get("/feed").text  # French unless the browser asks otherwise
    with httpx.Client(base_url=site["url"]) as anonymous:
        login = anonymous.get("/login", headers={"accept-language": "fr"})
        assert login.status_code == 410 and "a été effacée" in login.text
        assert anonymous.get("/static/console.css").status_code == 200
    assert site["console"].process.poll() is None  # it keeps answering, it does not crash-loop
    assert not site["store"].exists()  # no request re-created the store
    officer.close()

    log = site["console"].log
    line = [row for row in log.splitlines() if "emergency wipe of base KWJ asked" in row]
    assert len(line) == 1 and "by user #" in line[0]
    assert "Traceback" not in log
    for phone, name, _ in FOCAL:
        assert phone not in log and phone[4:] not in log and name not in log


def test_a_console_started_on_a_wiped_gateway_serves_only_that_fact(site):
    site["console"].stop()
    with ConsoleProcess(site["config"], site["url"]) as again, \
            httpx.Client(base_url=site["url"]) as client:
        for path in ("/login", "/feed", "/registry"):
            answer = client.get(path, headers={"accept-language": "en-GB,en"})
            assert answer.status_code == 410 and "This gateway was wiped" in answer.text
        assert again.process.poll() is None
    assert not site["store"].exists() and not site["key"].exists()


def _done(site) -> dict | None:
    journal = json.loads(site["store"].with_name("gateway.db.wiped").read_text())
    return journal if journal.get("state") == "done" else None
