"""`cangw incident ...`, `cangw network ...` and the registry's new fields, against a real store."""

from __future__ import annotations

import json

from gateway.sim.harness import write_config
from tests.cli.test_cli_alerts import rows, run
from tests.triage.conftest import MINUTE, T0, Base

A, B = "+243990000101", "+243990000102"


def filled(tmp_path):
    base = Base(tmp_path)
    base.report("2 kamango", T0, A)
    base.report("1 kamango", T0 + MINUTE, B)
    base.report("ils tirent partout", T0 + 2 * MINUTE, B)
    base.report("6 mutwanga", T0 + 3 * MINUTE, A)
    base.close()
    return base.config.source, base.config.store.path


def test_incidents_are_listed_shown_and_followed_up_by_the_duty_officer(tmp_path):
    config, db = filled(tmp_path)
    listed = json.loads(run(config, "incident", "list", "--json"))
    assert [(i["ref"], i["reports"], i["level"]) for i in listed] == [
        ("KWJ-I0003", 1, "single"), ("KWJ-I0002", 1, "single"), ("KWJ-I0001", 2, "confirmed")]
    shown = run(config, "incident", "show", "KWJ-I0001")
    assert "KWJ-0001" in shown and "KWJ-0002" in shown and "opened" in shown
    assert "KWJ-I0001: seen" in run(config, "incident", "seen", "kwj-i0001", "--by", "Lt Mbala")
    run(config, "incident", "respond", "KWJ-I0001", "--by", "Lt Mbala", "--note", "patrol sent")
    out = run(config, "incident", "close", "KWJ-I0001", "--by", "Lt Mbala", "--note", "calm")
    assert "closed" in out and "version 5" in out  # opened, a second report, three changes
    refused = run(config, "incident", "respond", "KWJ-I0001", "--by", "x", code=1)
    assert "is closed" in refused
    assert "no incident" in run(config, "incident", "seen", "KWJ-I0099", code=1)
    # the unparsed report is attached by merging its incident into the attack's
    run(config, "incident", "reopen", "KWJ-I0001", "--by", "Lt Mbala")
    run(config, "incident", "merge", "KWJ-I0001", "KWJ-I0002", "--note", "the same shooting")
    shown = json.loads(run(config, "incident", "show", "KWJ-I0001", "--json"))[0]
    assert shown["reports"] == 3 and len(shown["reports_list"]) == 3
    assert [h["action"] for h in shown["history"]] == ["opened", "seen", "respond", "close",
                                                       "reopen", "merged"]
    out = run(config, "incident", "split", "KWJ-I0001", "KWJ-0003", "--by", "Lt Mbala")
    assert out.startswith("KWJ-I0004: open")
    assert rows(db, "SELECT COUNT(*) FROM incident_alerts WHERE incident_id = 4") == [(1,)]
    assert rows(db, "SELECT state FROM incidents WHERE id = 2") == [("merged",)]


def test_the_registry_takes_gender_age_zone_and_check_in_schedules(tmp_path):
    config = write_config(tmp_path)
    villages = tmp_path / "villages.csv"
    villages.write_text("number,name,lat,lon,zone,checkin\n12,Kamango,0.65,29.9,Ruwenzori,by 18:00\n"
                        "31,Nobili,,,Ruwenzori,\n47,Kasindi,,,,at 25:00 within 30\n")
    out = run(config, "village", "import", str(villages))
    assert "imported 2 village(s), 1 row(s) rejected" in out
    focal = tmp_path / "focal.csv"
    focal.write_text("phone,name,village,gender,age_group,checkin\n"
                     "0990000101,Kahindo Masika,12,f,youth,\n"
                     "0990000102,Baraka Mumbere,31,m,adult,at 07:00 within 30\n"
                     "0990000103,Grace Kavira,31,woman,,\n"
                     "0990000104,Amani Kasereka,31,,,\n")
    out = run(config, "focal", "import", str(focal))
    assert "imported 3 focal point(s), 1 row(s) rejected" in out and "gender must be" in out
    run(config, "focal", "add", "0990000105", "Neema Kahindo", "--village", "31", "--gender",
        "f", "--age-group", "youth", "--checkin", "by 08:00")
    listed = {p["name"]: p for p in json.loads(run(config, "focal", "list", "--json"))}
    assert (listed["Kahindo Masika"]["gender"], listed["Kahindo Masika"]["age_group"]) == \
        ("f", "youth")
    assert listed["Baraka Mumbere"]["checkin"] == "at 07:00 within 30"
    assert listed["Amani Kasereka"]["gender"] is None
    assert "check-in by 17:00" in run(config, "village", "set", "nobili", "--checkin", "by 17:00")
    assert "expected" in run(config, "village", "set", "31", "--checkin", "sometimes", code=1)
    report = json.loads(run(config, "network", "report", "--json"))
    nobili = next(v for v in report["villages"] if v["number"] == 31)
    assert (nobili["focal_points"], nobili["women"], nobili["youth"]) == (3, 1, 1)
    zone = report["zones"][0]
    assert (zone["zone"], zone["villages"], zone["focal_points"], zone["women"]) == \
        ("Ruwenzori", 2, 4, 2)
    assert sorted(report["without_active_focal_point"]) == [12, 31]  # nobody heard yet
    per_person = json.loads(run(config, "network", "report", "--focal-points", "--json"))
    assert {p["name"] for p in per_person} >= {"Kahindo Masika", "Neema Kahindo"}


def test_the_network_report_counts_reports_and_how_incidents_ended(tmp_path):
    config, _ = filled(tmp_path)
    run(config, "incident", "respond", "KWJ-I0001", "--by", "duty")
    run(config, "incident", "close", "KWJ-I0001", "--by", "duty")
    run(config, "incident", "false-alarm", "KWJ-I0003", "--by", "duty")
    report = json.loads(run(config, "network", "report", "--json"))
    by_number = {v["number"]: v for v in report["villages"]}
    assert by_number[12]["closed_after_response"] == 1 and by_number[204]["false_alarms"] == 1
    assert by_number[12]["last_heard_at"] == T0 + 3 * MINUTE  # its focal point, from Mutwanga
    table = run(config, "network", "report")
    assert "Kamango" in table and "silent for more than 7 days:" in table
