"""A corrupt store is moved aside and replaced; a full disk leaves SMS on the SIM; low disk
space is warned about and shown."""

from __future__ import annotations

import json
import logging
import queue
import sqlite3

import pytest
from click.testing import CliRunner

from gateway.alerts.codes import load_codebook
from gateway.alerts.pipeline import Pipeline
from gateway.cli import cli
from gateway.config import load_config
from gateway.daemon import Daemon
from gateway.errors import StoreError
from gateway.model import SmsPart
from gateway.sim.harness import DaemonProcess, query, wait_for, write_config
from gateway.store import Store
from gateway.store import registry as reg
from gateway.store.integrity import open_checked, quick_check
from tests.conftest import VILLAGES
from tests.gsm.test_modem_faults import PHONE, _alerts, _state, gsm_worker


def _filled_store(path, alerts: int = 3) -> str:
    """A store with the registry and some alerts; returns its pseudonym secret."""
    with Store.open(path) as store:
        for village in VILLAGES:
            reg.save_village(store, village)
        reg.save_focal_point(store, reg.make_focal_point(store, PHONE, "Kahindo Masika", "12",
                                                         "fr", "+243"))
        folder = path.parent / "filler"
        folder.mkdir(exist_ok=True)
        config = load_config(write_config(folder))
        pipeline = Pipeline(store, config, load_codebook())
        for n in range(alerts):
            pipeline.ingest_sms(SmsPart(sender=PHONE, text=f"2 Kamango {n}", fingerprint=f"f{n}"))
        return store.meta("pseudonym_secret") or ""


def _corrupt_table(path, table: str) -> None:
    with sqlite3.connect(path) as conn:
        page_size = conn.execute("PRAGMA page_size").fetchone()[0]
        root = conn.execute("SELECT rootpage FROM sqlite_master WHERE name = ?",
                            [table]).fetchone()[0]
    with open(path, "r+b") as handle:  # what a failing SD card does to one page
        handle.seek((root - 1) * page_size)
        handle.write(b"\xa5" * 64)


def test_corrupt_store_is_moved_aside_and_what_can_be_read_is_kept(tmp_path):
    db = tmp_path / "gateway.db"
    secret = _filled_store(db)
    _corrupt_table(db, "alerts")
    assert quick_check(db) != "ok"
    with open_checked(db) as store:
        assert quick_check(db) == "ok"
        event = json.loads(store.meta("store_recovered"))
        kept = sorted(p.name for p in tmp_path.glob("gateway.db.corrupt-*"))
        assert kept[0] == event["moved_to"].rsplit("/", 1)[1]  # with its -wal and -shm, if any
        assert event["salvaged"]["villages"] == 4 and event["salvaged"]["focal_points"] == 1
        assert store.meta("pseudonym_secret") == secret  # headquarters still knows the senders
        assert store.db.execute("SELECT COUNT(*) FROM alerts").fetchone()[0] == 0
        pipeline = Pipeline(store, load_config(tmp_path / "filler" / "gateway.toml"),
                            load_codebook())
        alert = pipeline.ingest_sms(SmsPart(sender=PHONE, text="3 Kamango", fingerprint="n")).alert
        assert alert.ref == "KWJ-0004"  # numbering goes on: no reference given out twice
        assert alert.registered and alert.village_name == "Kamango"


def test_a_file_that_is_not_a_database_is_moved_aside_too(tmp_path):
    db = tmp_path / "gateway.db"
    _filled_store(db)
    with open(db, "r+b") as handle:
        handle.write(b"\x00" * 100)  # the header gone
    with open_checked(db) as store:
        assert "not a database" in json.loads(store.meta("store_recovered"))["reason"]
    assert len(list(tmp_path.glob("gateway.db.corrupt-*[0-9]Z"))) == 1


@pytest.mark.parametrize("content", [b"[base]\nid = 'KWJ'\n", b"name,phone\nKahindo,+243\n" * 50,
                                     b"\x7fELF" + bytes(range(256)) * 8],
                         ids=["a configuration file", "a spreadsheet", "a program"])
def test_a_file_that_is_not_a_store_is_never_moved_and_stops_the_start(tmp_path, content):
    """[store] path pointing at someone's file: it is neither renamed nor changed."""
    db = tmp_path / "gateway.db"
    db.write_bytes(content)
    with pytest.raises(StoreError, match="is not a SQLite database, so not a store: refusing"):
        open_checked(db)
    assert db.read_bytes() == content
    assert sorted(p.name for p in tmp_path.iterdir()) == ["gateway.db"]


def test_daemon_replaces_a_corrupt_store_and_reads_the_sim_into_the_new_one(tmp_path, modem):
    config = write_config(tmp_path, modem.path)
    db = tmp_path / "gateway.db"
    _filled_store(db)
    _corrupt_table(db, "messages")
    modem.inject_sms(PHONE, "2 Kamango still on the SIM")
    with DaemonProcess(config) as daemon:
        wait_for(lambda: query(db, "SELECT unseal(text) FROM messages"), timeout=20, what="the SIM read")
        assert daemon.stop() == 0
    assert query(db, "SELECT unseal(text) FROM messages") == [("2 Kamango still on the SIM",)]
    assert "failed its check" in daemon.log and ".corrupt-" in daemon.log
    report = json.loads(CliRunner().invoke(cli, ["-c", str(config), "status", "--json"]).output)
    assert report["store"]["integrity"].startswith("replaced: ")
    assert report["store"]["replaced"]["moved_to"].endswith(
        next(tmp_path.glob("gateway.db.corrupt-*[0-9]Z")).name)
    human = CliRunner().invoke(cli, ["-c", str(config), "status"]).output
    assert "store REPLACED at" in human


class DiskLimit:
    """A full disk for the GSM worker's store, and space again, when the test says.

    SQLite's `max_page_count` belongs to one connection, which only the thread that opened it
    may use: the limit is set by the worker's own thread, just before its next commit of SMS
    (the real commit follows, and fails for real). `tries` counts those commits."""

    def __init__(self, monkeypatch):
        self.tries = 0
        self._limits: queue.Queue[int | None] = queue.Queue()
        commit = Pipeline.ingest_batch

        def ingest_batch(pipeline, parts):
            while not self._limits.empty():
                self._apply(pipeline.store.db.conn, self._limits.get())
            self.tries += 1
            return commit(pipeline, parts)

        monkeypatch.setattr(Pipeline, "ingest_batch", ingest_batch)

    def fill(self) -> None:
        self._limits.put(None)  # SQLITE_FULL from the next new page

    def free(self) -> None:
        self._limits.put(1073741823)

    @staticmethod
    def _apply(conn: sqlite3.Connection, limit: int | None) -> None:
        pages = limit or conn.execute("PRAGMA page_count").fetchone()[0]
        conn.execute(f"PRAGMA max_page_count = {pages}")


def test_full_disk_leaves_the_sms_on_the_sim_until_it_can_be_stored(tmp_path, modem, caplog,
                                                                   monkeypatch):
    caplog.set_level(logging.ERROR, "gateway")
    disk = DiskLimit(monkeypatch)

    def refused():
        return "cannot store the SMS" in caplog.text

    with gsm_worker(tmp_path, modem.path):
        _state(tmp_path, "up")
        disk.fill()
        sent = []
        for n in range(60):  # the store's free room takes a few, then the disk is full
            text = f"2 Kamango disk full {n}"
            modem.inject_sms(PHONE, text)
            sent.append(text)
            wait_for(lambda text=text: refused() or text in _alerts(tmp_path), timeout=20,
                     what="the SMS stored or refused")
            if refused():
                break
        assert "database or disk is full" in caplog.text
        tried = disk.tries
        wait_for(lambda: disk.tries > tried, timeout=20, what="a retry, still refused")
        assert caplog.text.count("cannot store the SMS") == 1  # said once, not every retry
        waiting = [m.text for m in modem.stored.values()]
        assert waiting and set(waiting) <= set(sent)  # left on the SIM, not lost
        disk.free()
        wait_for(lambda: sorted(_alerts(tmp_path)) == sorted(sent), timeout=30,
                 what="every SMS stored once there is space")
        wait_for(lambda: not modem.stored, timeout=10, what="the SIM emptied")


def test_low_disk_is_warned_about_and_shown_while_receiving_goes_on(tmp_path, caplog):
    path = write_config(tmp_path, extra="")
    path.write_text(path.read_text().replace('path = "gateway.db"\n',
                                             'path = "gateway.db"\nmin_free_mb = 100000000\n'))
    config = load_config(path)
    Store.open(config.store.path).close()
    caplog.set_level(logging.WARNING, "gateway.daemon")
    daemon = Daemon(config)
    daemon._check_disk(1000.0)
    daemon._check_disk(1060.0)  # not again within the hour
    assert caplog.text.count("MB free for the store") == 1
    report = json.loads(CliRunner().invoke(cli, ["-c", str(path), "status", "--json"]).output)
    assert report["store"]["low_disk"] is True and report["store"]["min_free_mb"] == 100000000
    assert "LOW (below 100000000 MB)" in CliRunner().invoke(cli, ["-c", str(path), "status"]).output
