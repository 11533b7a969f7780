"""The registry's zones, check-in schedules and groups at the console, against a real console
process: saved through the CLI's validation (and its messages), audited, admins only."""

from __future__ import annotations

import pytest

from gateway.sim.harness import query
from tests.console.conftest import OPS_FOCAL


@pytest.fixture(scope="module")
def clients(ops):
    made = {role: ops.client(role) for role in ("technician", "admin")}
    yield made
    for client in made.values():
        client.close()


def test_a_village_gets_a_zone_and_a_check_in_schedule_validated_as_the_cli_does(ops, clients):
    admin = clients["admin"]
    form = {"csrf": admin.csrf, "number": "204", "name": "Mutwanga", "zone": "south",
            "checkin": "at 07:00,17:00 within 30"}
    assert 'value="south"' in admin.get("/registry/villages/204").text
    wrong = admin.post("/registry/villages/new", data=form | {"checkin": "sometimes"})
    assert wrong.status_code == 400
    assert query(ops.db, "SELECT checkin FROM villages WHERE number = 204") == [(None,)]
    assert admin.post("/registry/villages/new", data=form).status_code == 303
    assert query(ops.db, "SELECT zone, checkin FROM villages WHERE number = 204") == [
        ("south", "at 07:00,17:00 within 30")]
    assert "at 07:00,17:00 within 30" in clients["technician"].get("/registry/villages").text
    assert ("admin", "village saved", "village 204") in query(
        ops.db, "SELECT user, action, target FROM audit")


def test_a_focal_points_gender_age_group_and_schedule_are_saved(ops, clients):
    admin = clients["admin"]
    phone, name, village, language, _ = OPS_FOCAL[1]
    focal_id = query(ops.db, "SELECT id FROM focal_points ORDER BY id")[3][0]
    form = {"csrf": admin.csrf, "phone": phone, "name": name, "village": village,
            "language": language, "gender": "m", "age_group": "youth", "checkin": "by 18:00"}
    assert admin.post(f"/registry/focal/{focal_id}",
                      data=form | {"age_group": "teen"}).status_code == 400
    assert admin.post(f"/registry/focal/{focal_id}", data=form).status_code == 303
    assert query(ops.db, "SELECT gender, age_group, checkin FROM focal_points WHERE id = ?",
                 [focal_id]) == [("m", "youth", "by 18:00")]


def test_groups_are_made_filled_and_emptied_by_admins_and_read_by_technicians(ops, clients):
    admin, technician = clients["admin"], clients["technician"]
    assert admin.post("/registry/groups", data={"csrf": admin.csrf,
                                                "name": "bad name!"}).status_code == 400
    made = admin.post("/registry/groups", data={"csrf": admin.csrf, "name": "Teachers",
                                                "description": "school teachers"})
    assert made.status_code == 303 and made.headers["location"] == "/registry/groups/teachers"
    focal_id = query(ops.db, "SELECT id FROM focal_points ORDER BY id")[2][0]
    assert admin.post("/registry/groups/teachers/members",
                      data={"csrf": admin.csrf, "focal": str(focal_id)}).status_code == 303
    assert OPS_FOCAL[0][1] in technician.get("/registry/groups/teachers").text
    assert technician.post("/registry/groups/teachers/remove",
                           data={"csrf": technician.csrf}).status_code == 403
    assert admin.post(f"/registry/groups/teachers/members/{focal_id}/remove",
                      data={"csrf": admin.csrf}).status_code == 303
    assert query(ops.db, "SELECT COUNT(*) FROM group_members m JOIN groups g ON"
                 " g.id = m.group_id WHERE g.name = 'teachers'") == [(0,)]
    assert admin.post("/registry/groups/teachers/remove",
                      data={"csrf": admin.csrf}).status_code == 303
    assert "teachers" not in admin.get("/registry/groups").text
