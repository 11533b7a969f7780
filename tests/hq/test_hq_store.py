"""The bridge's SQLite file: which delivery first brought each alert, also for a file an older
version of the bridge wrote."""

from __future__ import annotations

from gateway.hq.store import DUPLICATE, PENDING, Delivery, HqStore, message_ids
from gateway.sbd.reply import decode_message
from tests.hq.test_hq_bridge import BATCH, IMEI

IDS = message_ids(decode_message(BATCH))


def test_a_file_from_before_alert_ids_learns_them_from_its_deliveries(tmp_path):
    store = HqStore(tmp_path / "hq.db")
    first = store.accept(Delivery(IMEI, 7, None, None, None, BATCH), 1000.0, ids=IDS)
    assert first is not None and first.state == PENDING
    store.mark_published(first.id, 1001.0)
    store.conn.executescript("DROP TABLE delivered_ids; DELETE FROM _sqlite_migrations"
                             " WHERE name = 'm002_delivered_ids'")  # as the older bridge left it
    store.close()
    store = HqStore(tmp_path / "hq.db")
    try:
        again = store.accept(Delivery(IMEI, 8, None, None, None, BATCH), 1002.0, ids=IDS)
        assert again is not None and again.state == DUPLICATE
        assert store.first_brought_by_others(again.id, IDS) == set(IDS)
        assert store.first_brought_by_others(first.id, IDS) == set()
    finally:
        store.close()


def test_command_counters_are_kept_per_base_and_key(tmp_path):
    store = HqStore(tmp_path / "hq.db")
    try:
        store.conn.execute("INSERT INTO command_counters VALUES ('GOM', '', 1790000900)")
        assert store.next_counter("GOM", "key-g", 1_790_000_000) == 1_790_000_901  # kept so far
        assert store.next_counter("KWJ", "key-a", 1_790_000_000) == 1_790_000_000
        assert store.next_counter("KWJ", "key-a", 1_790_000_000) == 1_790_000_001
        assert store.next_counter("BNI", "key-b", 1_790_000_000) == 1_790_000_000
        far = store.next_counter("KWJ", "key-a", 1_790_000_000 + 10 * 366 * 86400)
        assert far == 1_790_000_001 + 366 * 86400  # within the base's window
        assert store.next_counter("KWJ", "key-c", 1_790_000_050) == 1_790_000_050  # rotated
    finally:
        store.close()
