"""The bridge's SQLite file: every delivery the provider posted (kept raw, with what became of
it) and the counter of the last command sent to each base.

A delivery is committed before the provider hears 200, and published from here, so a broker
that is down loses nothing. The provider retries a post it thinks failed: a second delivery
of the same imei and momsn within DEDUPE_WINDOW is recognised and not published again (MOMSN
wraps after 65535, so older ones do not count). A base sends a message again under a new MOMSN
when it never heard that the first went: each alert id (and each answered ping) is kept with
the delivery that brought it first, and only that delivery publishes it.

A post from a base's modem for another base, or for a base the bridge does not know, is kept
as `refused` for a person to look at, and never published.
"""

from __future__ import annotations

import sqlite3
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from sqlite_utils import Database
from sqlite_utils.migrations import Migrations

from gateway.errors import SbdFormatError
from gateway.sbd import commands
from gateway.sbd.batch import Batch
from gateway.sbd.packed import Message
from gateway.sbd.reply import StatusReply, Wiped, decode_message
from gateway.store import inserted_id, keep_private
from gateway.store.schema import run_script

DEDUPE_WINDOW = 30 * 86400.0
PENDING, PUBLISHED, UNDECODABLE = "pending", "published", "undecodable"
REFUSED, DUPLICATE = "refused", "duplicate"

migrations = Migrations("cangw-hq")


@migrations()
def m001_deliveries(db: Database) -> None:
    run_script(db, """
        CREATE TABLE deliveries (
            id INTEGER PRIMARY KEY,
            imei TEXT NOT NULL,
            momsn INTEGER NOT NULL,
            transmit_time TEXT,
            latitude REAL,
            longitude REAL,
            data TEXT NOT NULL,
            received_at REAL NOT NULL,
            state TEXT NOT NULL,
            error TEXT,
            attempts INTEGER NOT NULL DEFAULT 0,
            published_at REAL
        );
        CREATE INDEX deliveries_key ON deliveries(imei, momsn, received_at);
        CREATE INDEX deliveries_state ON deliveries(state, id);
        CREATE TABLE command_counters (base TEXT PRIMARY KEY, counter INTEGER NOT NULL)
    """)


@migrations()
def m002_delivered_ids(db: Database) -> None:
    """Which delivery first brought each alert (and each answer to a ping), filled in from
    the deliveries already kept."""
    run_script(db, """
        CREATE TABLE delivered_ids (
            id TEXT PRIMARY KEY,
            delivery_id INTEGER NOT NULL REFERENCES deliveries(id)
        )
    """)
    rows = db.execute("SELECT id, data FROM deliveries WHERE state IN (?, ?) ORDER BY id",
                      [PENDING, PUBLISHED]).fetchall()
    for delivery_id, data in rows:
        try:
            ids = message_ids(decode_message(bytes.fromhex(data)))
        except SbdFormatError:
            continue
        db.conn.executemany("INSERT OR IGNORE INTO delivered_ids (id, delivery_id) VALUES (?, ?)",
                       [(item, delivery_id) for item in ids])


@migrations()
def m003_counters_by_key(db: Database) -> None:
    """Command counters by base and key, so a new key starts afresh. The key of the counters
    kept so far is not known here: the first key used with a base takes them over
    (HqStore.next_counter)."""
    run_script(db, """
        ALTER TABLE command_counters RENAME TO command_counters_by_base;
        CREATE TABLE command_counters (
            base TEXT NOT NULL,
            key_id TEXT NOT NULL,
            counter INTEGER NOT NULL,
            PRIMARY KEY (base, key_id)
        );
        INSERT INTO command_counters (base, key_id, counter)
            SELECT base, '', counter FROM command_counters_by_base;
        DROP TABLE command_counters_by_base
    """)


def message_ids(message: Batch | Message | StatusReply | Wiped) -> list[str]:
    """What makes a message's content unique: its alerts' ids and its incidents' versions, the
    ping a reply answers, or the wipe a notice tells of."""
    if isinstance(message, StatusReply):
        return [f"{message.base}-{message.instance}-ping-{message.counter}"]
    if isinstance(message, Wiped):
        return [f"{message.base}-{message.instance}-wiped-{message.time}"]
    if isinstance(message, Message):
        return [message.alert_id(alert) for alert in message.alerts] + [
            f"{message.incident_id(i.number)}-v{i.version}" for i in message.incidents]
    return [message.alert_id(alert) for alert in message.alerts]


@dataclass(frozen=True)
class Delivery:
    imei: str
    momsn: int
    transmit_time: str | None
    latitude: float | None
    longitude: float | None
    data: bytes


@dataclass(frozen=True)
class StoredDelivery:
    id: int
    delivery: Delivery
    state: str


class HqStore:
    def __init__(self, path: Path):
        path.parent.mkdir(parents=True, exist_ok=True)
        keep_private(path)
        self.conn = sqlite3.connect(str(path), timeout=10, isolation_level=None,
                                    check_same_thread=False)
        self.conn.execute("PRAGMA journal_mode=WAL")
        self.conn.execute("PRAGMA synchronous=FULL")
        self._lock = threading.RLock()  # one connection, shared by the HTTP and MQTT threads
        migrations.apply(Database(self.conn))

    def close(self) -> None:
        self.conn.close()

    @contextmanager
    def transaction(self) -> Iterator[sqlite3.Connection]:
        with self._lock:
            self.conn.execute("BEGIN IMMEDIATE")
            try:
                yield self.conn
            except BaseException:
                self.conn.execute("ROLLBACK")
                raise
            self.conn.execute("COMMIT")

    def accept(self, delivery: Delivery, now: float, state: str = PENDING,
               error: str | None = None, ids: list[str] | None = None) -> StoredDelivery | None:
        """Keep a delivery in `state` (pending, undecodable or refused, with `error`); None
        when the same imei and momsn arrived within the window already (a retry). A pending
        delivery whose `ids` all came before is kept as a duplicate, to publish nothing."""
        with self.transaction() as conn:
            seen = conn.execute(
                "SELECT id FROM deliveries WHERE imei = ? AND momsn = ? AND received_at > ?"
                " AND state != ?", [delivery.imei, delivery.momsn, now - DEDUPE_WINDOW, REFUSED]
            ).fetchone()
            if seen:
                return None
            cursor = conn.execute(
                "INSERT INTO deliveries (imei, momsn, transmit_time, latitude, longitude, data,"
                " received_at, state, error) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
                [delivery.imei, delivery.momsn, delivery.transmit_time, delivery.latitude,
                 delivery.longitude, delivery.data.hex(), now, state, error])
            delivery_id = inserted_id(cursor)
            if state == PENDING and ids:
                new = conn.executemany(
                    "INSERT OR IGNORE INTO delivered_ids (id, delivery_id) VALUES (?, ?)",
                    [(item, delivery_id) for item in ids]).rowcount
                if new == 0:
                    state = DUPLICATE
                    conn.execute("UPDATE deliveries SET state = ? WHERE id = ?",
                                 [state, delivery_id])
            return StoredDelivery(delivery_id, delivery, state)

    def first_brought_by_others(self, delivery_id: int, ids: list[str]) -> set[str]:
        """Those of `ids` an earlier delivery brought (and publishes)."""
        with self._lock:
            marks = ", ".join("?" * len(ids))
            return {row[0] for row in self.conn.execute(
                f"SELECT id FROM delivered_ids WHERE id IN ({marks}) AND delivery_id != ?",
                [*ids, delivery_id])}

    def pending(self, limit: int = 50) -> list[StoredDelivery]:
        with self._lock:
            rows = self.conn.execute(
                "SELECT id, imei, momsn, transmit_time, latitude, longitude, data, state"
                " FROM deliveries WHERE state = ? ORDER BY id LIMIT ?", [PENDING, limit]
            ).fetchall()
        return [StoredDelivery(row[0], Delivery(row[1], row[2], row[3], row[4], row[5],
                                                bytes.fromhex(row[6])), row[7]) for row in rows]

    def mark_published(self, delivery_id: int, now: float) -> None:
        with self.transaction() as conn:
            conn.execute("UPDATE deliveries SET state = ?, published_at = ?, attempts ="
                         " attempts + 1 WHERE id = ?", [PUBLISHED, now, delivery_id])

    def mark_attempt(self, delivery_id: int, error: str) -> None:
        with self.transaction() as conn:
            conn.execute("UPDATE deliveries SET attempts = attempts + 1, error = ? WHERE id = ?",
                         [error[:500], delivery_id])

    def counts(self) -> dict[str, int]:
        with self._lock:
            return dict(self.conn.execute(
                "SELECT state, COUNT(*) FROM deliveries GROUP BY state").fetchall())

    def next_counter(self, base: str, key_id: str, now: float) -> int:
        """A command counter greater than any sent to `base` with the key named `key_id`
        (commands.next_counter); a new key starts from the clock again."""
        with self.transaction() as conn:
            conn.execute("UPDATE command_counters SET key_id = ? WHERE base = ? AND key_id = ''"
                         " AND NOT EXISTS (SELECT 1 FROM command_counters WHERE base = ? AND"
                         " key_id = ?)", [key_id, base, base, key_id])  # from before m003
            row = conn.execute("SELECT counter FROM command_counters WHERE base = ? AND"
                               " key_id = ?", [base, key_id]).fetchone()
            counter = commands.next_counter(row[0] if row else 0, now)
            conn.execute("INSERT INTO command_counters (base, key_id, counter) VALUES (?, ?, ?)"
                         " ON CONFLICT (base, key_id) DO UPDATE SET counter = excluded.counter",
                         [base, key_id, counter])
            return counter
