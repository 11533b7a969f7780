"""Villages and focal points: CSV import with bad rows reported, E.164 numbers, CLI."""

from __future__ import annotations

import sqlite3

import pytest
from click.testing import CliRunner

from gateway.alerts.phone import normalise_phone
from gateway.cli import cli
from gateway.model import FocalPoint, Village
from gateway.sim.harness import write_config
from gateway.store import Store
from gateway.store import registry as reg
from gateway.store.schema import migrations


@pytest.mark.parametrize(("raw", "expected"), [
    ("0991234567", "+243991234567"), ("+243 99 123 4567", "+243991234567"),
    ("00243991234567", "+243991234567"), ("243991234567", "+243991234567"),
    ("991234567", "+243991234567"), ("(099) 123-4567", "+243991234567"),
    ("+33612345678", "+33612345678"), ("VODACOM", None), ("12345", None), ("", None),
])
def test_phone_numbers_normalised_to_e164(raw, expected):
    assert normalise_phone(raw, "+243") == expected


def test_csv_import_keeps_good_rows_and_reports_bad_ones_by_line(store, tmp_path):
    villages = tmp_path / "villages.csv"
    villages.write_text("number,name,alt_names,lat,lon\n12,Kamango,Kamangu;Kamango Centre,0.6,29.8\n"
                        "x,Broken,,,\n204,Mutwanga,,,\n")
    report = reg.import_villages(store, villages)
    assert report.imported == 2 and report.errors == [(3, "invalid literal for int() with base 10: 'x'")]
    assert reg.find_village(store, "kamangu").number == 12
    focal = tmp_path / "focal.csv"
    focal.write_text("Phone,Name,Village,Language\n0990000101,Kahindo,Kamango,fr\n"
                     "not-a-number,Bad,,\n+243990000102,Baraka,999,sw\n"
                     "+243990000103,Grace,204,de\n+243990000104,Jean,,\n")
    report = reg.import_focal_points(store, focal, "+243")
    assert report.imported == 2
    assert [line for line, _ in report.errors] == [3, 4, 5]
    assert "not a phone number" in report.errors[0][1]
    assert "unknown village" in report.errors[1][1]
    assert "language must be one of" in report.errors[2][1]
    assert reg.focal_point(store, "+243990000101").village == 12


def test_csv_without_required_columns(store, tmp_path):
    bad = tmp_path / "f.csv"
    bad.write_text("telephone,nom\n1,2\n")
    report = reg.import_focal_points(store, bad, "+243")
    assert report.imported == 0 and "phone or callsign, name" in report.errors[0][1]


def test_focal_commands(tmp_path):
    config = write_config(tmp_path)
    run = CliRunner().invoke
    villages = tmp_path / "v.csv"
    villages.write_text("number,name\n12,Kamango\n")
    assert run(cli, ["-c", str(config), "village", "import", str(villages)]).exit_code == 0
    added = run(cli, ["-c", str(config), "focal", "add", "0990000101", "Kahindo Masika",
                      "--village", "Kamango", "--language", "fr"])
    assert added.exit_code == 0 and "+243990000101" in added.output
    listed = run(cli, ["-c", str(config), "focal", "list", "--json"])
    assert '"village": "Kamango"' in listed.output
    refused = run(cli, ["-c", str(config), "focal", "add", "abc", "X"])
    assert refused.exit_code == 1 and "not a phone number" in refused.output
    removed = run(cli, ["-c", str(config), "focal", "remove", "0990000101"])
    assert removed.exit_code == 0
    assert run(cli, ["-c", str(config), "focal", "list"]).output.strip() == "(none)"
    assert run(cli, ["-c", str(config), "focal", "remove", "0990000101"]).exit_code == 1


def test_focal_points_known_by_callsign(store, tmp_path):
    reg.save_village(store, Village(12, "Kamango"))
    radio_only = reg.make_focal_point(store, "-", "Mbusa Kakule", "12", "sw", "+243", "9q2kam")
    reg.save_focal_point(store, radio_only)
    assert reg.focal_point(store, "9Q2KAM").name == "Mbusa Kakule"
    assert reg.focal_point(store, "9Q2KAM-7").name == "Mbusa Kakule"  # any SSID of the station
    assert reg.focal_point(store, "9Q2KAMX") is None
    one_ssid = reg.make_focal_point(store, "0990000101", "Kahindo", None, None, "+243", "9Q2KAM-1")
    reg.save_focal_point(store, one_ssid)
    assert reg.focal_point(store, "9Q2KAM-1").name == "Kahindo"  # the exact SSID wins
    assert reg.focal_point(store, "+243990000101").callsign == "9Q2KAM-1"
    # updating by phone keeps the callsign; a phone and a callsign of two people are refused
    reg.save_focal_point(store, reg.make_focal_point(store, "0990000101", "Kahindo M.", None,
                                                     None, "+243"))
    assert reg.focal_point(store, "9Q2KAM-1").name == "Kahindo M."
    with pytest.raises(ValueError, match="two different focal points"):
        reg.save_focal_point(store, reg.make_focal_point(store, "0990000101", "X", None, None,
                                                         "+243", "9Q2KAM"))
    for phone, callsign, error in [("-", None, "phone number or a callsign"),
                                   ("-", "NOT A CALL", "not a callsign")]:
        with pytest.raises(ValueError, match=error):
            reg.make_focal_point(store, phone, "X", None, None, "+243", callsign)


def test_csv_import_with_callsigns(store, tmp_path):
    focal = tmp_path / "focal.csv"
    focal.write_text("phone,name,callsign\n0990000101,Kahindo,\n,Mbusa,9Q2KAM\n,Nobody,\n"
                     ",Bad,9Q2-KAM\n")
    report = reg.import_focal_points(store, focal, "+243")
    assert report.imported == 2 and [line for line, _ in report.errors] == [4, 5]
    radio = tmp_path / "radio.csv"
    radio.write_text("callsign,name\n9Q5XYZ-3,Furaha\n")  # no phone column at all
    assert reg.import_focal_points(store, radio, "+243").imported == 1
    assert {(p.phone, p.callsign) for p in reg.focal_points(store)} == {
        ("+243990000101", None), (None, "9Q2KAM"), (None, "9Q5XYZ-3")}


def test_migration_keeps_focal_points_registered_before_callsigns(tmp_path):
    path = tmp_path / "old.db"
    with Store.open(path, migrate=False) as store:
        migrations.apply(store.db, stop_before="m004_focal_point_callsigns")
        store.db.execute("INSERT INTO focal_points (phone, name, village, language, added_at)"
                         " VALUES ('+243990000101', 'Kahindo', 12, 'fr', 1.0)")
        store.db.conn.commit()
    with Store.open(path) as store:
        assert reg.focal_point(store, "+243990000101") == FocalPoint(
            "+243990000101", "Kahindo", 12, "fr", None)
        with pytest.raises(sqlite3.IntegrityError):
            store.db.execute("INSERT INTO focal_points (name, added_at) VALUES ('x', 1)")


def test_focal_commands_with_callsign(tmp_path):
    config = write_config(tmp_path)
    run = CliRunner().invoke
    added = run(cli, ["-c", str(config), "focal", "add", "-", "Mbusa Kakule", "--callsign",
                      "9q2kam-1"])
    assert added.exit_code == 0 and "9Q2KAM-1" in added.output
    listed = run(cli, ["-c", str(config), "focal", "list", "--json"])
    assert '"callsign": "9Q2KAM-1"' in listed.output and '"phone": null' in listed.output
    refused = run(cli, ["-c", str(config), "focal", "add", "-", "Nobody"])
    assert refused.exit_code == 1 and "phone number or a callsign" in refused.output
    assert run(cli, ["-c", str(config), "focal", "remove", "9Q2KAM-1"]).exit_code == 0
    assert run(cli, ["-c", str(config), "focal", "list"]).output.strip() == "(none)"
