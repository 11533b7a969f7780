"""`cangw db backup/check` and `cangw logs` against real files and the real journalctl."""

from __future__ import annotations

import json
import shutil
import sqlite3
import threading

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


def run(config, *args, code=0):
    result = CliRunner().invoke(cli, ["-c", str(config), *args])
    assert result.exit_code == code, result.output
    return result.output


def test_backup_is_a_consistent_copy_while_a_writer_runs(tmp_path):
    path = write_config(tmp_path, mqtt_port=1883)
    config = load_config(path)
    stop, written = threading.Event(), []

    def writer():  # the daemon's pipeline, storing alerts as fast as it can
        with Store.open(config.store.path) as store:
            pipeline = Pipeline(store, config, load_codebook())
            while not stop.is_set():
                sender = f"+2439900{len(written) % 50:05d}"  # many senders: none is throttled
                pdu = build_deliver_pdus(sender, f"2 kamango {len(written)}")[0]
                pipeline.ingest_sms(decode_deliver(pdu.hex))
                written.append(1)

    Store.open(config.store.path).close()
    thread = threading.Thread(target=writer)
    thread.start()
    try:
        while len(written) < 20:
            threading.Event().wait(0.01)
        report = json.loads(run(path, "db", "backup", str(tmp_path / "copy.db"), "--json"))
    finally:
        stop.set()
        thread.join()
    copy = tmp_path / "copy.db"
    assert report["alerts"] >= 20 and report["bytes"] == copy.stat().st_size
    assert not (tmp_path / "copy.db-wal").exists() and not (tmp_path / "copy.db.part").exists()
    with sqlite3.connect(copy) as conn:
        alerts = conn.execute("SELECT COUNT(*) FROM alerts").fetchone()[0]
        outbox = conn.execute("SELECT COUNT(*) FROM outbox WHERE alert_id IS NOT NULL")\
            .fetchone()[0]
        messages = conn.execute("SELECT COUNT(*) FROM messages").fetchone()[0]
        filed = conn.execute("SELECT COUNT(*) FROM incident_alerts").fetchone()[0]
        assert conn.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
    # every alert came with its message, its acknowledgement, its MQTT row and its incident:
    # one moment
    assert outbox == 2 * alerts == 2 * messages == 2 * report["alerts"] == 2 * filed
    assert alerts <= len(written)


def test_backup_refuses_to_overwrite_and_names_files_in_a_folder(tmp_path):
    path = write_config(tmp_path)
    target = tmp_path / "copy.db"
    run(path, "db", "backup", str(target))
    assert "exists" in run(path, "db", "backup", str(target), code=1)
    run(path, "db", "backup", str(target), "--force")
    folder = tmp_path / "backups"
    folder.mkdir()
    assert "backed up to" in run(path, "db", "backup", str(folder))
    [made] = folder.iterdir()
    assert made.name.startswith("cangw-KWJ-") and made.suffix == ".db"


def test_check_passes_a_healthy_store(tmp_path):
    path = write_config(tmp_path)
    Store.open(tmp_path / "gateway.db").close()
    out = run(path, "db", "check")
    with Store.open(tmp_path / "gateway.db") as store:
        newest = store.schema_version()[-1]  # the last migration defined (they apply in order)
    assert "store OK" in out and newest in out
    report = json.loads(run(path, "db", "check", "--json"))
    assert report["ok"] is True and report["journal_mode"] == "wal" and report["problems"] == []


def test_check_reports_a_damaged_store(tmp_path):
    path = write_config(tmp_path)
    db = tmp_path / "gateway.db"
    with Store.open(db) as store, store.transaction() as conn:
        for n in range(400):
            conn.execute("INSERT INTO villages (number, name) VALUES (?, ?)", [n, f"v{n}" * 20])
        root = conn.execute("SELECT rootpage FROM sqlite_master WHERE name = 'villages'"
                            ).fetchone()[0]
        page = conn.execute("PRAGMA page_size").fetchone()[0]
    data = bytearray(db.read_bytes())
    start = (root - 1) * page
    data[start + 12: start + 1000] = b"\x07" * 988  # scribble over the table's root page
    db.write_bytes(bytes(data))
    out = run(path, "db", "check", code=1)
    assert "PROBLEM: " in out and "problem(s)" in out and "store OK" not in out


def test_check_without_a_store(tmp_path):
    assert "no store there" in run(write_config(tmp_path), "db", "check", code=1)


@pytest.mark.skipif(shutil.which("journalctl") is None, reason="needs systemd's journalctl")
def test_logs_reads_the_journal(tmp_path, capfd):
    empty = tmp_path / "journal"
    empty.mkdir()
    result = CliRunner().invoke(cli, ["logs", "-D", str(empty), "-n", "5"])
    assert result.exit_code == 0
    assert "No entries" in capfd.readouterr().out
