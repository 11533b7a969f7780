"""The bridge's SQLite file: every delivery the provider posted (kept raw, with what became of
it) and the counter of the last command sent to each base.

A delivery is committed before the provider hears 200, and published from here, so a broker
that is down loses nothing. The provider retries a post it thinks failed: a second delivery
of the same imei and momsn within DEDUPE_WINDOW is recognised and not published again (MOMSN
wraps after 65535, so older ones do not count).
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

from gateway.store import keep_private
from gateway.store.schema import _run

DEDUPE_WINDOW = 30 * 86400.0
PENDING, PUBLISHED, UNDECODABLE = "pending", "published", "undecodable"

migrations = Migrations("cangw-hq")


@migrations()
def m001_deliveries(db: Database) -> None:
    _run(db, """
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

    def accept(self, delivery: Delivery, now: float, error: str | None) -> StoredDelivery | None:
        """Keep a delivery (state pending, or undecodable with `error`); None when the same
        imei and momsn arrived within the window already (a retry)."""
        with self.transaction() as conn:
            seen = conn.execute(
                "SELECT id FROM deliveries WHERE imei = ? AND momsn = ? AND received_at > ?",
                [delivery.imei, delivery.momsn, now - DEDUPE_WINDOW]).fetchone()
            if seen:
                return None
            state = PENDING if error is None else UNDECODABLE
            cursor = conn.execute(
                "INSERT INTO deliveries (imei, momsn, transmit_time, latitude, longitude, data,"
                " received_at, state, error) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
                [delivery.imei, delivery.momsn, delivery.transmit_time, delivery.latitude,
                 delivery.longitude, delivery.data.hex(), now, state, error])
            return StoredDelivery(int(cursor.lastrowid), delivery, state)

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

    def next_counter(self, base: str, now: float) -> int:
        """A command counter greater than any sent to `base`: the current time, or one more
        than the last if the clock is behind it."""
        with self.transaction() as conn:
            row = conn.execute("SELECT counter FROM command_counters WHERE base = ?",
                               [base]).fetchone()
            counter = max(int(now), (row[0] if row else 0) + 1)
            conn.execute("INSERT INTO command_counters (base, counter) VALUES (?, ?) ON CONFLICT"
                         "(base) DO UPDATE SET counter = excluded.counter", [base, counter])
            return counter
