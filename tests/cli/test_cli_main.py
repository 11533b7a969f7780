"""The maintenance CLI against a real store, through click's CliRunner."""

from __future__ import annotations

import json

import click
import pytest
from click.testing import CliRunner

from gateway.alerts.codes import load_codebook
from gateway.alerts.pipeline import Pipeline
from gateway.cli import cli
from gateway.config import load_config
from gateway.gsm.sms_pdu import decode_deliver
from gateway.sim.deliver_pdu import build_deliver_pdus
from gateway.sim.harness import write_config
from gateway.store import Store
from gateway.store import links as link_status


def all_commands(group: click.Group, prefix=()):
    for name, command in group.commands.items():
        yield (*prefix, name), command
        if isinstance(command, click.Group):
            yield from all_commands(command, (*prefix, name))


@pytest.mark.parametrize(("path", "command"), list(all_commands(cli)),
                         ids=lambda v: " ".join(v) if isinstance(v, tuple) else "")
def test_every_command_has_help_text(path, command):
    assert (command.help or "").strip(), f"cangw {' '.join(path)} has no help text"
    result = CliRunner().invoke(cli, [*path, "--help"])
    assert result.exit_code == 0 and "Usage:" in result.output


@pytest.fixture
def filled(tmp_path):
    path = write_config(tmp_path, mqtt_port=1883)
    config = load_config(path)
    with Store.open(config.store.path) as store:
        pipeline = Pipeline(store, config, load_codebook())
        for sender, text in [("+243990000101", "2 15 Kamango"), ("+243990000102", "bonjour")]:
            pdu = build_deliver_pdus(sender, text)[0]
            pipeline.ingest_sms(decode_deliver(pdu.hex))
        with store.transaction() as db:
            link_status.record(db, "gsm", "up", signal=18, registration="home")
    return path


def invoke(config, *args):
    result = CliRunner().invoke(cli, ["-c", str(config), *args])
    assert result.exit_code == 0, result.output
    return result.output


def test_alerts_list_show_and_filters(filled):
    listing = invoke(filled, "alerts", "list")
    assert "KWJ-0001" in listing and "KWJ-0002" in listing
    rows = json.loads(invoke(filled, "alerts", "list", "--json", "--code", "2"))
    assert [r["ref"] for r in rows] == ["KWJ-0001"] and rows[0]["count"] == 15
    unparsed = json.loads(invoke(filled, "alerts", "list", "--json", "--code", ""))
    assert [r["ref"] for r in unparsed] == ["KWJ-0002"]
    assert json.loads(invoke(filled, "alerts", "list", "--json", "--since", "2100-01-01")) == []
    shown = invoke(filled, "alerts", "show", "kwj-0002")
    assert "message: bonjour" in shown
    missing = CliRunner().invoke(cli, ["-c", str(filled), "alerts", "show", "KWJ-9999"])
    assert missing.exit_code == 1 and "no alert KWJ-9999" in missing.output


def test_outbox_list_shows_pending_work(filled):
    rows = json.loads(invoke(filled, "outbox", "list", "--json"))
    assert {(r["destination"], r["ref"]) for r in rows if r["ref"]} == {
        ("sms", "KWJ-0001"), ("sms", "KWJ-0002"), ("mqtt", "KWJ-0001"), ("mqtt", "KWJ-0002")}
    assert len([r for r in rows if r["ref"] is None]) == 2  # each alert's incident, published
    assert all(r["state"] == "pending" for r in rows)


def test_status_reads_the_store(filled):
    report = json.loads(invoke(filled, "status", "--json"))
    assert report["links"]["gsm"]["state"] == "up" and report["links"]["gsm"]["signal"] == 18
    assert report["queue"] == {"mqtt": {"pending": 4}, "sms": {"pending": 2}}  # alerts, incidents
    assert report["last_alert_at"].endswith("Z")
    assert "gsm    up" in invoke(filled, "status")


def test_alerts_show_gives_the_pdu_of_an_undecodable_sms(filled):
    with Store.open(load_config(filled).store.path) as store:
        Pipeline(store, load_config(filled), load_codebook()).ingest_sms(
            decode_deliver("07914293090000100"))
    shown = invoke(filled, "alerts", "show", "KWJ-0003")
    assert "raw: 07914293090000100" in shown and "[undecodable SMS" in shown
