"""Broadcasts at the console, against a real console process: the preview's recipients and
cost as each role may see them, sending through the outreach functions (one outbox row per
chosen recipient, audited), the budget only an admin may go over, and the delivery panel."""

from __future__ import annotations

import pytest

from gateway.sim.harness import query
from tests.console.conftest import FOCAL, OPS_FOCAL


@pytest.fixture(scope="module")
def clients(ops):
    made = {role: ops.client(role) for role in ("officer", "admin")}
    yield made
    for client in made.values():
        client.close()


NORTH_CHIEFS = {"template": "1", "param.place": "Kamango", "zone": ["north"], "group": ["chiefs"]}


def test_the_preview_names_the_chosen_recipients_with_masked_numbers_and_the_cost(ops, clients):
    officer = clients["officer"]
    before = _broadcasts(ops)
    answer = officer.post("/broadcasts/preview", data=NORTH_CHIEFS | {"csrf": officer.csrf})
    assert answer.status_code == 200
    page = answer.text
    assert 'id="preview-count">2' in page
    for phone, name, *_ in (OPS_FOCAL[0], OPS_FOCAL[2]):
        assert name in page and phone not in page
    assert "+243 99• ••• •01" in page and OPS_FOCAL[1][1] not in page.split('id="preview"')[1]
    assert "un groupe arme se dirige vers Kamango" in page
    assert "zone:north AND group:chiefs" in page
    assert _broadcasts(ops) == before  # a preview sends nothing
    admin = clients["admin"].post("/broadcasts/preview",
                                  data=NORTH_CHIEFS | {"csrf": clients["admin"].csrf}).text
    assert OPS_FOCAL[0][0] in admin


def _broadcasts(ops) -> int:
    return query(ops.db, "SELECT COUNT(*) FROM broadcasts")[0][0]


def test_a_wrong_target_or_a_missing_parameter_is_told_as_the_cli_tells_it(clients):
    officer = clients["officer"]
    answer = officer.post("/broadcasts/preview", data={"csrf": officer.csrf, "template": "1",
                                                       "target": "zone:nowhere"})
    assert answer.status_code == 400 and "needs place=..." in answer.text
    answer = officer.post("/broadcasts/preview", data={"csrf": officer.csrf, "text": "Bonjour",
                                                       "target": "zone:nowhere"})
    assert answer.status_code == 400 and "no village is in zone &#39;nowhere&#39;" in answer.text


def test_sending_queues_one_sms_per_chosen_recipient_and_is_audited(ops, clients):
    officer = clients["officer"]
    before = query(ops.db, "SELECT COUNT(*) FROM outbox WHERE destination = 'sms'")[0][0]
    answer = officer.post("/broadcasts/send", data=NORTH_CHIEFS | {"csrf": officer.csrf})
    assert answer.status_code == 303
    ref = answer.headers["location"].rsplit("/", 1)[1]
    rows = query(ops.db, "SELECT unseal(recipient), unseal(body) FROM outbox WHERE"
                 " destination = 'sms' ORDER BY id")[before:]
    assert sorted(r[0] for r in rows) == sorted([OPS_FOCAL[0][0], OPS_FOCAL[2][0]])
    assert all("Kamango" in body for _, body in rows)
    assert query(ops.db, "SELECT origin, by, target FROM broadcasts WHERE ref = ?", [ref]) == [
        ("console", "officer", "zone:north AND group:chiefs")]
    assert ("officer", "broadcast", ref) in query(ops.db, "SELECT user, action, target FROM audit")
    page = officer.get(f"/broadcasts/{ref}").text
    assert OPS_FOCAL[0][1] in page and OPS_FOCAL[0][0] not in page
    assert 'hx-get="/broadcasts/' in page  # it follows the delivery while messages are queued
    panel = officer.get(f"/broadcasts/{ref}/delivery").text
    assert 'data-state="queued">2<' in panel
    assert ref in officer.get("/broadcasts").text
    cancelled = officer.post(f"/broadcasts/{ref}/cancel", data={"csrf": officer.csrf})
    assert cancelled.status_code == 303
    assert query(ops.db, "SELECT COUNT(*) FROM broadcast_recipients r JOIN broadcasts b ON"
                 " b.id = r.broadcast_id WHERE b.ref = ? AND r.state = 'queued'", [ref]) == [(0,)]


def test_only_an_admin_goes_over_the_daily_budget(ops, clients):
    officer, admin = clients["officer"], clients["admin"]
    everyone = {"text": "Reunion demain a la base"}  # five people: over the budget of 4 SMS
    before = _broadcasts(ops)
    over = officer.post("/broadcasts/send", data=everyone | {"csrf": officer.csrf})
    assert over.status_code == 400 and "over the budget of 4" in over.text
    preview = officer.post("/broadcasts/preview", data=everyone | {"csrf": officer.csrf}).text
    assert 'name="force"' not in preview  # not offered to an officer
    forced = officer.post("/broadcasts/send", data=everyone | {"csrf": officer.csrf,
                                                              "force": "on"})
    assert forced.status_code == 403 and _broadcasts(ops) == before
    assert 'name="force"' in admin.post("/broadcasts/preview",
                                        data=everyone | {"csrf": admin.csrf}).text
    answer = admin.post("/broadcasts/send", data=everyone | {"csrf": admin.csrf, "force": "on"})
    assert answer.status_code == 303
    ref = answer.headers["location"].rsplit("/", 1)[1]
    assert query(ops.db, "SELECT forced, by FROM broadcasts WHERE ref = ?", [ref]) == [
        (1, "admin")]
    assert FOCAL[0][1] in admin.get(answer.headers["location"]).text
