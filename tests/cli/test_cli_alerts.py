"""`cangw alerts seen/export/list --unseen` and `outbox drop` against a real store."""

from __future__ import annotations

import csv
import io
import json
import os
import stat

import pytest
from click.testing import CliRunner

from gateway.alerts.codes import load_codebook
from gateway.alerts.history import CSV_COLUMNS as EXPORT_COLUMNS
from gateway.alerts.pipeline import Pipeline
from gateway.alerts.seen import SEEN_TEMPLATES, seen_text
from gateway.alerts.text import gsm7_length
from gateway.cli import cli
from gateway.config import load_config
from gateway.gsm.sms_pdu import decode_deliver
from gateway.sim.deliver_pdu import build_deliver_pdus
from gateway.sim.harness import write_config
from gateway.store import Store
from gateway.store import registry as reg
from gateway.store.schema import migrations
from tests.conftest import VILLAGES

FR, SW = "+243990000101", "+243990000102"


def make_base(tmp_path, extra=""):
    path = write_config(tmp_path, mqtt_port=1883, extra=extra)
    config = load_config(path)
    with Store.open(config.store.path) as store:
        for village in VILLAGES:
            reg.save_village(store, village)
        reg.save_focal_point(store, reg.make_focal_point(store, FR, "Kahindo Masika", None, "fr",
                                                         "+243"))
        pipeline = Pipeline(store, config, load_codebook())
        for sender, text in [(FR, "2 Kamango 15"), (SW, "hatari 3 Kahindo ameonekana 0991234567")]:
            pipeline.ingest_sms(decode_deliver(build_deliver_pdus(sender, text)[0].hex))
    return path, config.store.path


def run(config, *args, code=0, **kwargs):
    result = CliRunner().invoke(cli, ["-c", str(config), *args], **kwargs)
    assert result.exit_code == code, result.output
    return result.output


def rows(db_path, sql, params=()):
    with Store.open(db_path) as store:
        return store.db.execute(sql, list(params)).fetchall()


def test_alerts_seen_marks_once_lists_unseen_and_tells_headquarters(tmp_path):
    config, db = make_base(tmp_path)
    unseen = json.loads(run(config, "alerts", "list", "--unseen", "--json"))
    assert [r["ref"] for r in unseen] == ["KWJ-0002", "KWJ-0001"]
    assert "KWJ-0001: marked seen" in run(config, "alerts", "seen", "kwj-0001")
    assert "KWJ-0001: already seen" in run(config, "alerts", "seen", "KWJ-0001")
    assert [r["ref"] for r in json.loads(run(config, "alerts", "list", "--unseen", "--json"))] \
        == ["KWJ-0002"]
    assert "(cli)" in run(config, "alerts", "show", "KWJ-0001")
    events = rows(db, "SELECT unseal(body) FROM outbox WHERE destination = 'mqtt'"
                       " AND body IS NOT NULL AND recipient IS NULL")
    assert len(events) == 1
    event = json.loads(events[0][0])
    assert event == {"schema": 1, "event": "seen", "base": "KWJ", "id": event["id"],
                     "ref": "KWJ-0001", "severity": "Extreme", "seen_at": event["seen_at"],
                     "via": "cli"}
    assert event["seen_at"].endswith("Z")
    # no second acknowledgement unless [panel] seen_ack is set
    assert rows(db, "SELECT COUNT(*) FROM outbox WHERE destination = 'sms'")[0][0] == 2
    run(config, "alerts", "seen", "KWJ-9999", code=1)


def test_second_acknowledgement_when_configured(tmp_path):
    config, db = make_base(tmp_path, extra="\n[panel]\nseen_ack = true\n")
    run(config, "alerts", "seen", "KWJ-0001", "KWJ-0002")
    acks = rows(db, "SELECT unseal(recipient), unseal(body) FROM outbox WHERE destination = 'sms'"
                    " AND (unseal(body) LIKE '%lue%' OR unseal(body) LIKE '%imesomwa%') ORDER BY id")
    assert acks == [(FR, seen_text("KWJ-0001", "fr")), (SW, seen_text("KWJ-0002", "sw"))]


@pytest.mark.parametrize("language", sorted(SEEN_TEMPLATES))
def test_second_acknowledgement_fits_one_gsm7_sms(language):
    text = seen_text("KWJ-10193", language)
    assert gsm7_length(text) is not None and gsm7_length(text) <= 160
    assert text.startswith("KWJ-10193 ")


@pytest.mark.parametrize("fmt", ["csv", "json"])
def test_export_carries_pseudonyms_not_numbers_or_names(tmp_path, fmt):
    config, _ = make_base(tmp_path)
    run(config, "alerts", "seen", "KWJ-0002")
    out = run(config, "alerts", "export", "--format", fmt)
    assert "+243" not in out and "0991234567" not in out and "Kahindo" not in out
    if fmt == "json":
        records = json.loads(out)
    else:
        reader = csv.DictReader(io.StringIO(out))
        assert reader.fieldnames == EXPORT_COLUMNS
        records = list(reader)
    assert [r["ref"] for r in records] == ["KWJ-0001", "KWJ-0002"]  # oldest first
    assert all(r["sender"].startswith("fp-") for r in records)
    assert "[name]" in records[1]["text"] and "[number]" in records[1]["text"]
    assert records[1]["seen_via"] == "cli" and not records[0]["seen_at"]
    village = records[0]["village"] if fmt == "json" else {"name": records[0]["village_name"]}
    assert village["name"] == "Kamango"
    assert run(config, "alerts", "export", "--format", fmt, "--since", "2100-01-01").strip() in (
        "[]", ",".join(EXPORT_COLUMNS))


def test_export_to_a_file(tmp_path):
    config, _ = make_base(tmp_path)
    target = tmp_path / "alerts.json"
    target.write_text("an older file, open to everyone\n")
    target.chmod(0o644)
    assert "exported 2 alert(s)" in run(config, "alerts", "export", "--format", "json", "-o",
                                        str(target))
    assert len(json.loads(target.read_text())) == 2
    assert stat.S_IMODE(target.stat().st_mode) == 0o640  # others may not read the history


def test_upgrade_counts_old_alerts_as_seen(tmp_path):
    path = tmp_path / "old.db"
    with Store.open(path, migrate=False) as store:
        migrations.apply(store.db, stop_before="m006_alerts_seen")
        store.db.execute(
            "INSERT INTO alerts (uid, seq, ref, channel, severity, urgency, text, registered,"
            " language, received_at, created_at) VALUES"
            " ('KWJ-0-1', 1, 'KWJ-0001', 'sms', 'Extreme', 'Immediate', '', 0, 'fr', 1, 1)")
        store.db.conn.commit()
    with Store.open(path) as store:
        assert store.db.execute("SELECT alert_id, via FROM alerts_seen").fetchall() == \
            [(1, "upgrade")]


def test_outbox_drop_asks_keeps_the_row_and_closes_it(tmp_path):
    config, db = make_base(tmp_path)
    listed = json.loads(run(config, "outbox", "list", "--json"))
    row = next(r for r in listed if r["destination"] == "sms" and r["ref"] == "KWJ-0001")
    refused = run(config, "outbox", "drop", str(row["id"]), input="n\n", code=1)
    assert "Aborted" in refused
    assert rows(db, "SELECT state FROM outbox WHERE id = ?", [row["id"]]) == [("pending",)]
    out = run(config, "outbox", "drop", str(row["id"]), input="y\n")
    assert f"dropped outbox row(s) {row['id']}" in out
    state, reason, done_at = rows(db, "SELECT state, last_error, done_at FROM outbox WHERE id = ?",
                                  [row["id"]])[0]
    assert state == "dropped" and reason.startswith("dropped by ") and done_at
    assert row["id"] not in [r["id"] for r in json.loads(run(config, "outbox", "list", "--json"))]
    shown = json.loads(run(config, "outbox", "list", "--state", "dropped", "--json"))
    assert [r["id"] for r in shown] == [row["id"]]
    assert json.loads(run(config, "status", "--json"))["queue"]["sms"] == {"pending": 1}


def test_outbox_drop_by_alert_reference(tmp_path):
    config, db = make_base(tmp_path)
    out = run(config, "outbox", "drop", "KWJ-0002", "--yes")
    assert out.count("KWJ-0002") >= 2
    assert rows(db, "SELECT destination, state FROM outbox WHERE alert_id = 2 ORDER BY id") == [
        ("sms", "dropped"), ("mqtt", "dropped")]
    run(config, "outbox", "drop", "KWJ-0002", "--yes", code=1)  # nothing open is left


@pytest.mark.skipif(os.geteuid() != 0, reason="only root can give a file away")
def test_a_store_created_by_sudo_belongs_to_its_folders_owner(tmp_path):
    folder = tmp_path / "state"
    folder.mkdir()
    os.chown(folder, 4321, 4321)  # as /var/lib/cangw belongs to the cangw user
    config = write_config(tmp_path, extra="")
    config.write_text(config.read_text().replace('path = "gateway.db"', 'path = "state/gw.db"'))
    run(config, "village", "list")
    assert (folder / "gw.db").stat().st_uid == 4321
    assert all(p.stat().st_uid == 4321 for p in folder.iterdir())


def test_a_voice_alert_refuses_a_count_that_is_a_phone_number(tmp_path):
    config, db = make_base(tmp_path)
    output = run(config, "alerts", "add", "--code", "2", "--by", "Sgt Diallo", "--count",
                 "990000102", code=1)
    assert "count" in output and "9999" in output
    assert rows(db, "SELECT COUNT(*) FROM alerts WHERE channel = 'voice'") == [(0,)]
    run(config, "alerts", "add", "--code", "2", "--by", "Sgt Diallo", "--count", "1500")
    assert rows(db, "SELECT count FROM alerts WHERE channel = 'voice'") == [(1500,)]


@pytest.mark.parametrize("fmt", ["csv", "json"])
def test_export_scrubs_numbers_and_names_however_typed(tmp_path, fmt):
    config, db = make_base(tmp_path)
    with Store.open(db) as store:
        pipeline = Pipeline(store, load_config(config), load_codebook())
        text = "2 Kamango 0990000102 KahindoMasika (099) 000 0104, Kahyndo au 000101"
        pipeline.ingest_sms(decode_deliver(build_deliver_pdus(SW, text)[0].hex))
    out = run(config, "alerts", "export", "--format", fmt)
    for leak in ("990000102", "0104", "000101", "Kahindo", "Kahyndo", "Masika"):
        assert leak not in out
    assert "[name] [number], [name] au [number]" in out
