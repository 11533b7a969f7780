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
