"""Villages and focal points: CSV import with bad rows reported, E.164 numbers, CLI."""

from __future__ import annotations

import pytest
from click.testing import CliRunner

from gateway.cli import cli
from gateway.phone import normalise_phone
from gateway.sim.harness import write_config
from gateway.store import registry as reg


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
    assert report.imported == 0 and "phone, name" in report.errors[0][1]


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
