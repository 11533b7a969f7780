"""Retention: after `retention_days`, senders and texts are erased for good (even with the key),
the facts of each alert stay, and the daemon's job runs once a day."""

from __future__ import annotations

import json
import logging
import time

import pytest
from click.testing import CliRunner

from gateway.alerts.pipeline import Pipeline
from gateway.cli import cli
from gateway.config import load_config
from gateway.errors import ConfigError, StoreError
from gateway.sim.harness import write_config
from gateway.store import Store, outbox
from gateway.store import alerts as alert_store
from gateway.store.inbox import NewMessage
from gateway.store.retention import DAY, DailyPurge, purge
from tests.alerts.test_pipeline import Clock, parts

OLD, RECENT = "+243997412583", "+243998236145"
START = 1_795_000_000.0


@pytest.fixture
def history(tmp_path, registered, codebook):
    """An alert 100 days old (acknowledged, its acknowledgement delivered), one 100 days old
    whose acknowledgement never went, and one 10 days old; the clock at START + 100 days."""
    config = load_config(write_config(tmp_path, mqtt_port=1883))
    clock = Clock(START)
    pipeline = Pipeline(registered, config, codebook, clock=clock)
    old = pipeline.ingest_sms(parts(OLD, "2 Kamango Kahindo Masika a vu")[0]).alert
    stuck = pipeline.ingest_sms(parts(RECENT, "3 Nobili")[0]).alert
    with registered.transaction() as db:
        acks = db.execute("SELECT id, alert_id FROM outbox WHERE destination = 'sms'").fetchall()
        outbox.mark_done(db, next(i for i, a in acks if a == old.id), START + 1)
    clock.now = START + 90 * DAY
    recent = pipeline.ingest_sms(parts(RECENT, "alerte 7 Mutwanga")[0]).alert
    clock.now = START + 100 * DAY
    return registered, clock, old, stuck, recent


def sealed(store: Store) -> list[bytes]:
    """Every sealed value the store holds now."""
    values = []
    for table, columns in (("messages", "sender, text, raw"), ("alerts", "sender, text"),
                           ("outbox", "recipient, body")):
        for row in store.db.execute(f"SELECT {columns} FROM {table}"):
            values += [v for v in row if isinstance(v, bytes)]
    return values


def test_old_senders_and_texts_are_erased_and_the_facts_stay(history, tmp_path):
    store, clock, old, stuck, recent = history
    before = sealed(store)
    counted = purge(store, 90, clock.now, dry_run=True)
    assert counted.erased == {"messages": 2, "sms_parts": 0, "alerts": 2, "outbox": 1}
    assert sealed(store) == before  # a dry run changes nothing

    done = purge(store, 90, clock.now)
    assert done.erased == counted.erased
    erased = alert_store.get(store.db, old.id)
    assert (erased.sender, erased.text) == (None, "")
    assert (erased.code, erased.village_name, erased.received_at, erased.severity, erased.ref,
            erased.registered) == (old.code, old.village_name, old.received_at, old.severity,
                                   old.ref, old.registered)
    assert erased.pseudonym == old.pseudonym == store.pseudonymiser()(OLD)
    assert alert_store.get(store.db, recent.id) == recent  # within the period: untouched
    message = store.db.execute("SELECT sender, sender_key, text, raw, erased_at FROM messages"
                               " WHERE id = ?", [old.message_id]).fetchone()
    assert message == (None, None, "", None, clock.now)
    # the acknowledgement delivered is erased; the one never sent still waits to go
    rows = store.db.execute("SELECT alert_id, state, unseal(recipient) FROM outbox"
                            " WHERE destination = 'sms' ORDER BY id").fetchall()
    assert rows == [(old.id, "done", None), (stuck.id, "pending", RECENT),
                    (recent.id, "pending", RECENT)]
    assert alert_store.recent_copy(store.db, "sms", OLD, "2 Kamango Kahindo Masika a vu",
                                   clock.now, 1e12) is None  # no look-up by the erased sender
    assert purge(store, 90, clock.now).total == 0  # done once

    # gone for good: not even the sealed bytes stay in the file or its WAL
    files = b"".join(p.read_bytes() for p in tmp_path.glob("gateway.db*"))
    kept = set(sealed(store))
    assert [v for v in before if v not in kept and v in files] == []


def test_the_daemons_job_runs_at_start_then_daily(history, caplog):
    store, clock, *_ = history
    opened = []

    def open_store():
        opened.append(clock.now)
        return Store.open(store.path)

    job = DailyPurge(open_store, 90, clock)
    with caplog.at_level(logging.INFO, "gateway.store.retention"):
        assert job.tick().total == 5
    assert "older than 90 days (2 messages, 2 alerts, 1 outbox)" in caplog.text
    clock.now += 23 * 3600
    assert job.tick() is None  # not yet a day
    clock.now += 2 * 3600
    assert job.tick().total == 0
    assert opened == [START + 100 * DAY, START + 101 * DAY + 3600]


def test_a_failed_run_is_logged_and_tried_again_within_the_hour(caplog):
    clock = Clock(START)

    def broken():
        raise StoreError("disk gone")

    job = DailyPurge(broken, 90, clock)
    assert job.tick() is None
    assert "the daily erasure failed (disk gone)" in caplog.text
    clock.now += 3599
    assert job.tick() is None and caplog.text.count("failed") == 1
    clock.now += 1
    assert job.tick() is None and caplog.text.count("failed") == 2


def test_cangw_db_purge_dry_run_then_for_real(tmp_path, codebook):
    config = write_config(tmp_path, extra="")
    path = tmp_path / "gateway.db"
    with Store.open(path) as store:
        pipeline = Pipeline(store, load_config(config), codebook)
        with store.transaction():
            for age in (200, 120, 5):
                pipeline.record_message(NewMessage("hf", "9Q2KAM-1", "1 Kamango",
                                                   time.time() - age * DAY))
    run = CliRunner().invoke
    dry = run(cli, ["-c", str(config), "db", "purge", "--dry-run"])
    assert dry.exit_code == 0, dry.output
    assert dry.output.startswith("would erase the senders and texts from before ")
    assert "(retention_days = 90): 2 messages, 2 alerts, 0 parts of long SMS" in dry.output
    again = json.loads(run(cli, ["-c", str(config), "db", "purge", "--dry-run", "--json"]).output)
    assert again["rows"]["messages"] == 2 and again["dry_run"] is True
    real = run(cli, ["-c", str(config), "db", "purge"])
    assert real.output.startswith("erased the senders and texts") and "2 alerts" in real.output
    with Store.open(path) as store:
        assert [a.sender for a in alert_store.recent(store.db)] == ["9Q2KAM-1", None, None]


def test_retention_days_defaults_to_90_and_must_be_positive(tmp_path):
    assert load_config(write_config(tmp_path)).store.retention_days == 90
    path = write_config(tmp_path)
    path.write_text(path.read_text().replace('path = "gateway.db"\n',
                                             'path = "gateway.db"\nretention_days = 0\n'))
    with pytest.raises(ConfigError, match="retention_days"):
        load_config(path)
