"""Every page as every role, against a real console process: what each may open, what is
refused (403), which numbers are masked, CSRF, the login limit, the audit trail, the log."""

from __future__ import annotations

import json
import shutil
import ssl
import subprocess

import httpx
import pytest
from click.testing import CliRunner

from gateway.cli import cli
from gateway.sim.console_run import ConsoleProcess
from tests.console.conftest import FOCAL, PASSWORD, UNKNOWN, Client, login_csrf, make_base

PAGES = {  # GET path -> the roles that may open it
    "/feed": {"officer", "admin"},
    "/alerts/KWJ-0001": {"officer", "admin"},
    "/map": {"officer", "admin"},
    "/map/villages.json": {"officer", "admin"},
    "/voice": {"officer", "admin"},
    "/registry": {"officer", "technician", "admin"},
    "/registry/villages": {"officer", "technician", "admin"},
    "/registry/focal/new": {"admin"},
    "/registry/focal/1": {"admin"},
    "/registry/villages/new": {"admin"},
    "/registry/import": {"admin"},
    "/health": {"officer", "technician", "admin"},
    "/health/panel": {"officer", "technician", "admin"},
    "/audit": {"admin"},
    "/admin/wipe": {"admin"},
    "/incidents": {"officer", "technician", "admin"},
    "/incidents/KWJ-I0001": {"officer", "technician", "admin"},
    "/broadcasts": {"officer", "admin"},
    "/broadcasts/new": {"officer", "admin"},
    "/network": {"officer", "technician", "admin"},
    "/registry/groups": {"officer", "technician", "admin"},
    "/registry/villages/12": {"admin"},
}
WRITES = {  # POST path -> (form, the roles that may) ; each refused one must change nothing
    "/alerts/KWJ-0002/seen": ({}, {"officer", "admin"}),
    "/voice": ({"code": "1", "village": "31", "via": "radio", "note": "x"}, {"officer", "admin"}),
    "/registry/focal/new": ({"name": "New Person", "phone": "0990000555"}, {"admin"}),
    "/registry/villages/new": ({"number": "77", "name": "Lubero"}, {"admin"}),
    "/registry/focal/2/remove": ({}, {"admin"}),
    "/admin/wipe": ({"password": PASSWORD, "base_id": "KWJ"}, {"admin"}),
    "/incidents/KWJ-I0001/state": ({"action": "seen"}, {"officer", "admin"}),
    "/incidents/KWJ-I0001/merge": ({"others": "KWJ-I0002"}, {"officer", "admin"}),
    "/incidents/KWJ-I0001/split": ({"alert": "KWJ-0001"}, {"officer", "admin"}),
    "/broadcasts/preview": ({"text": "x"}, {"officer", "admin"}),
    "/broadcasts/send": ({"text": "x", "village": "12"}, {"officer", "admin"}),
    "/registry/groups": ({"name": "teachers"}, {"admin"}),
}
OPERATIONS = [path for path in WRITES if path.startswith(("/incidents", "/broadcasts"))]


@pytest.fixture(scope="module")
def clients(base):
    made = {role: base.client(role) for role in ("officer", "technician", "admin")}
    yield made
    for client in made.values():
        client.close()


@pytest.mark.parametrize("path", PAGES)
def test_every_page_asks_for_a_login_first(base, path):
    with httpx.Client(base_url=base.url, headers={"accept": "text/html"}) as anonymous:
        answer = anonymous.get(path)
        assert answer.status_code == 303 and answer.headers["location"].startswith("/login")
        assert httpx.get(base.url + path).status_code == 401  # a script, not a browser


@pytest.mark.parametrize("role", ["officer", "technician", "admin"])
def test_each_role_opens_its_pages_and_gets_403_on_the_others(clients, role):
    for path, allowed in PAGES.items():
        answer = clients[role].get(path)
        assert answer.status_code == (200 if role in allowed else 403), (role, path)


@pytest.mark.parametrize("role", ["officer", "technician"])
def test_writes_a_role_may_not_make_are_refused_and_change_nothing(base, clients, role):
    before = _counts(base)
    for path, (form, allowed) in WRITES.items():
        if role in allowed:
            continue
        answer = clients[role].post(path, data=form | {"csrf": clients[role].csrf})
        assert answer.status_code == 403, (role, path)
    assert _counts(base) == before


def _counts(base) -> tuple:
    with base.store() as store:
        return tuple(store.db.execute(f"SELECT COUNT(*) FROM {table}").fetchone()[0]
                     for table in ("alerts", "alerts_seen", "focal_points", "villages",
                                   "incident_changes", "broadcasts", "outbox", "groups"))


def test_officers_see_names_and_masked_numbers_admins_full_numbers(clients):
    phone = FOCAL[0][0]  # +243990000101
    masked = "+243 99• ••• •01"
    for path in ("/feed", "/alerts/KWJ-0001", "/registry"):
        officer = clients["officer"].get(path).text
        assert FOCAL[0][1] in officer and masked in officer, path
        assert phone not in officer and phone[4:] not in officer, path
        admin = clients["admin"].get(path).text
        assert phone in admin, path
    technician = clients["technician"].get("/registry").text
    assert masked in technician and phone not in technician
    assert UNKNOWN not in clients["officer"].get("/feed").text


def test_technicians_never_get_message_texts(clients):
    for path in ("/health", "/health/panel", "/registry", "/registry/villages"):
        page = clients["technician"].get(path).text
        assert "hommes armés" not in page and "bruits bizarres" not in page
    assert clients["technician"].get("/feed/stream").status_code == 403


def test_a_post_without_the_csrf_token_or_with_another_sessions_is_refused(base, clients):
    officer, admin = clients["officer"], clients["admin"]
    assert officer.post("/alerts/KWJ-0001/seen").status_code == 403
    assert officer.post("/alerts/KWJ-0001/seen", data={"csrf": admin.csrf}).status_code == 403
    assert officer.post("/alerts/KWJ-0001/seen",
                        headers={"x-csrf-token": "forged"}).status_code == 403
    with base.store() as store:
        assert not store.db.execute("SELECT 1 FROM alerts_seen a JOIN alerts b ON b.id = a.alert_id"
                                    " WHERE b.ref = 'KWJ-0001'").fetchone()
    answer = officer.post("/alerts/KWJ-0001/seen", headers={"x-csrf-token": officer.csrf,
                                                              "hx-request": "true"})
    assert answer.status_code == 200 and "✓" in answer.text


@pytest.mark.parametrize("path", OPERATIONS)
def test_incident_and_broadcast_writes_without_the_csrf_token_are_refused(base, clients, path):
    before = _counts(base)
    form = WRITES[path][0]
    assert clients["officer"].post(path, data=form).status_code == 403
    assert clients["admin"].post(path, data=form | {"csrf": clients["officer"].csrf}
                                 ).status_code == 403
    assert _counts(base) == before


def test_the_session_cookie_is_httponly_and_same_site_strict_and_pages_allow_only_this_origin(base):
    with httpx.Client(base_url=base.url) as client:
        answer = client.get("/login")
        cookie = answer.headers["set-cookie"].lower()
        assert "httponly" in cookie and "samesite=strict" in cookie and "secure" not in cookie
        policy = answer.headers["content-security-policy"]
        assert "default-src 'self'" in policy and "connect-src 'self'" in policy
        assert answer.headers["x-frame-options"] == "DENY"


def test_logins_are_limited_per_user_and_a_wrong_name_is_told_as_a_wrong_password(base):
    CliRunner().invoke(cli, ["-c", str(base.config_path), "user", "add", "guessed", "--role",
                             "officer", "--password", PASSWORD], catch_exceptions=False)
    with httpx.Client(base_url=base.url) as client:
        for _ in range(5):
            answer = client.post("/login", data={"name": "guessed", "password": "wrong guess!",
                                                 "csrf": login_csrf(client)})
            assert answer.status_code == 401
        answer = client.post("/login", data={"name": "guessed", "password": PASSWORD,
                                             "csrf": login_csrf(client)})
        assert answer.status_code == 429
        nobody = client.post("/login", data={"name": "nobody", "password": PASSWORD,
                                             "csrf": login_csrf(client)})
        assert nobody.status_code == 401
        assert client.post("/login", data={"name": "officer", "password": PASSWORD}).status_code == 403


def test_a_changed_password_or_a_removed_user_ends_open_sessions(base):
    def cangw(*args):
        result = CliRunner().invoke(cli, ["-c", str(base.config_path), *args])
        assert result.exit_code == 0, result.output

    cangw("user", "add", "shortlived", "--role", "officer", "--password", PASSWORD)
    client = Client.logged_in(base.url, "shortlived")
    assert client.get("/feed").status_code == 200
    cangw("user", "passwd", "shortlived", "--password", PASSWORD + "!")
    assert client.get("/feed").status_code == 303
    client = Client.logged_in(base.url, "shortlived", PASSWORD + "!")
    cangw("user", "remove", "shortlived")
    assert client.get("/feed").status_code == 303
    client.close()


def test_actions_are_audited_and_the_console_log_names_no_one(base, clients):
    clients["officer"].post("/alerts/KWJ-0003/seen", data={"csrf": clients["officer"].csrf})
    clients["officer"].get("/audit")
    result = CliRunner().invoke(cli, ["-c", str(base.config_path), "audit", "list", "--json",
                                      "--limit", "500"])
    entries = json.loads(result.output)
    actions = {(e["user"], e["action"], e["target"]) for e in entries}
    assert ("officer", "login", None) in actions
    assert ("officer", "seen", "KWJ-0003") in actions
    assert ("officer", "refused", "/audit") in actions
    log = base.console.log
    assert "GET /feed" in log  # the log is there, at DEBUG
    for phone, name, _ in FOCAL:
        for secret in (phone, phone[4:], name, name.split()[0]):
            assert secret not in log
            assert all(secret not in json.dumps(e) for e in entries)


@pytest.mark.skipif(shutil.which("openssl") is None, reason="needs openssl to make a certificate")
def test_under_tls_the_cookie_is_secure_and_host_only(tmp_path):
    key, cert = tmp_path / "console.key", tmp_path / "console.crt"
    subprocess.run(["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "1",
                    "-subj", "/CN=127.0.0.1", "-addext", "subjectAltName=IP:127.0.0.1",
                    "-keyout", str(key), "-out", str(cert)], check=True, capture_output=True)
    config, url = make_base(tmp_path, f'tls_cert = "{cert}"\ntls_key = "{key}"\n')
    url = url.replace("http://", "https://")
    trust = ssl.create_default_context(cafile=str(cert))
    with ConsoleProcess(config, url, context=trust), httpx.Client(base_url=url, verify=trust) as client:
        cookie = client.get("/login").headers["set-cookie"]
        assert cookie.startswith("__Host-cangw=")
        assert "secure" in cookie.lower() and "httponly" in cookie.lower()
        assert "samesite=strict" in cookie.lower() and "path=/" in cookie.lower()
