"""`cangw broadcast`, `cangw group` and `cangw alerts respond` as a technician uses them."""

from __future__ import annotations

import re

import pytest
from click.testing import CliRunner

from gateway.cli import cli
from gateway.store import links
from tests.outreach.conftest import HF, make_base


@pytest.fixture
def base(tmp_path):
    config, store = make_base(tmp_path, HF + "\n[outreach]\nsms_cost = 25\n")
    with store.transaction() as db:
        links.record(db, "credit", "ok", balance=1250.0, checked_at="2026-11-23T06:00:00.000Z")
    store.close()
    return config.source


def run(config, *args, answer: str | None = None):
    return CliRunner().invoke(cli, ["-c", str(config), *args], input=answer)


def test_send_shows_who_and_what_it_costs_and_asks(base):
    preview = run(base, "broadcast", "send", "--target", "zone:north", "--template",
                  "armed_group", "--param", "place=Kamango", "--dry-run")
    assert preview.exit_code == 0, preview.output
    out = preview.output
    assert "recipients: 5; 1 sent STOP" in out
    assert "sms: 1 en, 2 fr, 1 sw" in out and "hf: 1 sw" in out
    assert "[sw] GSM-7, 1 SMS each: Tahadhari kutoka kituo" in out
    assert "SMS: 4, cost 100 of a balance of 1250" in out and "HF bulletin: 1 frame(s)" in out
    assert "nothing sent" in out
    refused = run(base, "broadcast", "send", "--target", "zone:north", "--template", "6",
                  answer="n\n")
    assert "Send it? [y/N]" in refused.output and "not sent" in refused.output
    assert "(none)" in run(base, "broadcast", "list").output
    sent = run(base, "broadcast", "send", "--target", "zone:north", "--template", "6",
               answer="y\n")
    assert "KWJ-B0001: queued for 5 recipient(s)" in sent.output
    shown = run(base, "broadcast", "show", "KWJ-B0001", "--recipients")
    assert "queued: 5" in shown.output
    assert re.search(r"Radio Nobili\s+hf\s+sw\s+queued", shown.output)
    assert re.search(r"language sw\s+2\s+0", shown.output)
    assert "+24399" not in shown.output  # names at the base, never numbers
    assert "cancelled; 5 recipient(s)" in run(base, "broadcast", "cancel", "KWJ-B0001").output


def test_wrong_drafts_are_refused_with_the_reason(base):
    for args, message in ((["--target", "zone:nord", "--template", "6"], "zone 'nord'"),
                          (["--target", "all", "--template", "1"], "needs place"),
                          (["--target", "all", "--text", "a", "--text-fr", "b"], "not both"),
                          (["--target", "all", "--template", "6", "--param", "x"], "NAME=VALUE")):
        result = run(base, "broadcast", "send", *args, "--dry-run")
        assert result.exit_code != 0 and message in result.output, result.output


def test_groups_by_hand_and_from_a_file(base, tmp_path):
    assert run(base, "group", "add", "Elders", "--description", "the elders").exit_code == 0
    added = run(base, "group", "add-member", "elders", "0990000101", "9q2nob")
    assert "2 focal point(s) added to elders" in added.output
    assert "no focal point" in run(base, "group", "add-member", "elders", "0999").output
    (tmp_path / "groups.csv").write_text("group,phone\nyouth,0990000102\nyouth,0990009999\n"
                                         "bad name!,0990000103\n")
    imported = run(base, "group", "import", str(tmp_path / "groups.csv"))
    assert "1 membership(s) imported, 2 row(s) refused" in imported.output
    listed = run(base, "group", "list").output
    assert "elders" in listed and "youth" in listed
    assert "Radio Nobili" in run(base, "group", "show", "elders").output
    assert "taken out" in run(base, "group", "remove-member", "elders", "9Q2NOB").output
    assert run(base, "group", "remove", "youth").exit_code == 0
    assert run(base, "group", "show", "youth").exit_code != 0


def test_alerts_respond_moves_the_incident_of_an_alert(base):
    from gateway.alerts.codes import load_codebook
    from gateway.alerts.pipeline import Pipeline
    from gateway.config import load_config
    from gateway.store import Store
    from gateway.store.inbox import NewMessage

    config = load_config(base)
    with Store.open(config.store.path) as store, store.transaction():
        alert = Pipeline(store, config, load_codebook()).record_message(
            NewMessage("sms", "+243990000101", "2 Kamango", 1.8e9))
    result = run(base, "alerts", "respond", alert.ref, "--by", "Lt Mbala")
    assert result.exit_code == 0 and "responding" in result.output
    assert "is responding" in run(base, "alerts", "respond", alert.ref, "--by", "x").output
