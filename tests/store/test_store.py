"""The store: schema migrations, durability settings, outbox order and retry."""

from __future__ import annotations

import sqlite3

from gateway.store import Store, outbox
from gateway.store.schema import migrations, registered


def test_first_open_creates_schema_and_identity(tmp_path):
    with Store.open(tmp_path / "new" / "gateway.db") as store:
        tables = {r[0] for r in store.db.execute("SELECT name FROM sqlite_master WHERE type='table'")}
        assert {"messages", "sms_parts", "alerts", "outbox", "villages", "focal_points",
                "link_status", "meta"} <= tables
        assert store.db.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
        assert store.db.execute("PRAGMA synchronous").fetchone()[0] == 2  # FULL
        assert store.db.execute("PRAGMA secure_delete").fetchone()[0] == 1
        secret, instance = store.meta("pseudonym_secret"), store.instance
        assert secret.startswith("sealed:") and len(instance) == 4  # only the data key opens it
        assert store.pseudonymiser()("+243990000101").startswith("fp-")
        assert store.schema_version() == registered()
    with Store.open(tmp_path / "new" / "gateway.db") as again:  # re-open: nothing re-applied
        assert again.meta("pseudonym_secret") == secret
        assert len(again.schema_version()) == len(registered())


def test_forward_migration_applies_only_what_is_new(tmp_path):
    path = tmp_path / "gateway.db"
    Store.open(path).close()

    @migrations(name="m999_test_extra")
    def extra(db):
        db.execute("CREATE TABLE extra_probe (x INTEGER)")

    try:
        with Store.open(path) as store:
            assert store.schema_version()[-1] == "m999_test_extra"
            assert store.db["extra_probe"].exists()
    finally:
        migrations._migrations.pop()


def test_transaction_rolls_back_everything_on_error(store):
    try:
        with store.transaction() as db:
            outbox.enqueue(db, "sms", 0, 1.0, recipient="+243990000101", body="x")
            raise RuntimeError("power cut")
    except RuntimeError:
        pass
    assert store.db.execute("SELECT COUNT(*) FROM outbox").fetchone()[0] == 0


def test_outbox_most_severe_first_then_oldest(store):
    with store.transaction() as db:
        minor = outbox.enqueue(db, "mqtt", 3, 1.0)
        severe_old = outbox.enqueue(db, "mqtt", 1, 2.0)
        extreme = outbox.enqueue(db, "mqtt", 0, 3.0)
        severe_new = outbox.enqueue(db, "mqtt", 1, 4.0)
        outbox.enqueue(db, "sms", 0, 0.5)
    order = [r.id for r in outbox.due(store.db, "mqtt", now=10.0, limit=10)]
    assert order == [extreme, severe_old, severe_new, minor]
    assert [r.id for r in outbox.due(store.db, "mqtt", 10.0, 2, exclude={extreme})] == \
        [severe_old, severe_new]


def test_outbox_backoff_then_failed_after_max_attempts(store):
    with store.transaction() as db:
        row = outbox.enqueue(db, "sms", 0, 100.0, recipient="+243990000101", body="ack")
    with store.transaction() as db:
        assert outbox.mark_attempt_failed(db, row, "+CMS ERROR: 500", 100.0) == "pending"
    assert outbox.due(store.db, "sms", 104.0) == []  # backing off for 5 s
    assert [r.id for r in outbox.due(store.db, "sms", 105.0)] == [row]
    with store.transaction() as db:
        for _ in range(outbox.MAX_ATTEMPTS - 1):
            state = outbox.mark_attempt_failed(db, row, "+CMS ERROR: 500", 100.0)
    assert state == "failed"
    assert outbox.depth(store.db) == {"sms": {"failed": 1}}
    assert outbox.due(store.db, "sms", 1e12) == []


def test_a_row_dropped_while_it_was_being_sent_stays_dropped_when_the_send_fails(store):
    with store.transaction() as db:
        row = outbox.enqueue(db, "sms", 0, 100.0, recipient="+243990000101", body="ack")
    in_flight = outbox.due(store.db, "sms", 100.0)[0]
    with store.transaction() as db:
        assert outbox.drop(db, row, "dropped by a technician", 101.0)
    with store.transaction() as db:
        assert outbox.mark_attempt_failed(db, in_flight.id, "+CMS ERROR: 500", 102.0) == "dropped"
    assert outbox.due(store.db, "sms", 1e12) == []
    assert store.db.execute("SELECT state, attempts, last_error FROM outbox").fetchall() == \
        [("dropped", 0, "dropped by a technician")]


def test_second_connection_reads_while_first_writes(tmp_path):
    path = tmp_path / "gateway.db"
    with Store.open(path) as writer:
        writer.db.conn.execute("BEGIN IMMEDIATE")
        writer.db.execute("INSERT INTO meta(key, value) VALUES ('x', '1')")
        reader = sqlite3.connect(path)
        assert reader.execute("SELECT COUNT(*) FROM alerts").fetchone() == (0,)  # WAL: no block
        reader.close()
        writer.db.conn.execute("COMMIT")
