"""The satellite link's records: sessions and their cost, commands from headquarters, and the
outbox rows (destination `sbd`) of alerts waiting for the satellite.

An alert's `sbd` row is written with the alert, due when its `fallback_after` has passed. If
MQTT delivers the alert first, the row is settled without a session (outbox.settle_fallbacks).
"""

from __future__ import annotations

import time
from dataclasses import dataclass

from sqlite_utils import Database

DESTINATION = "sbd"


@dataclass(frozen=True)
class SessionRecord:
    started_at: float
    kind: str  # "alerts", "reply" or "mailbox"
    result: str
    bytes: int = 0
    credits: int = 0
    alerts: int = 0
    mo_status: int | None = None
    momsn: int | None = None
    mt_status: int | None = None
    mtmsn: int | None = None
    mt_length: int | None = None
    mt_queued: int | None = None


def record_session(db: Database, session: SessionRecord) -> None:
    values = {**session.__dict__, "finished_at": time.time()}
    names = ", ".join(values)
    db.execute(f"INSERT INTO sbd_sessions ({names}) VALUES ({', '.join('?' * len(values))})",
               list(values.values()))


def last_session(db: Database) -> dict | None:
    cursor = db.execute("SELECT * FROM sbd_sessions ORDER BY id DESC LIMIT 1")
    row = cursor.fetchone()
    return dict(zip([d[0] for d in cursor.description], row, strict=True)) if row else None


def credits_since(db: Database, since: float) -> int:
    """Credits spent on messages sent since `since` (failed sessions and mailbox checks cost
    nothing)."""
    row = db.execute("SELECT COALESCE(SUM(credits), 0) FROM sbd_sessions WHERE started_at >= ?",
                     [since]).fetchone()
    return int(row[0])


def waiting(db: Database, now: float) -> int:
    """Alerts whose time to go by satellite has come and that have not gone."""
    row = db.execute(
        "SELECT COUNT(*) FROM outbox WHERE destination = ? AND state = 'pending'"
        " AND alert_id IS NOT NULL AND body IS NULL AND next_attempt_at <= ?",
        [DESTINATION, now]).fetchone()
    return int(row[0])


def undelivered(db: Database, destinations: list[str]) -> int:
    """Alerts the primary uplinks have not delivered (events about alerts are not counted)."""
    marks = ", ".join("?" * len(destinations))
    row = db.execute(
        f"SELECT COUNT(*) FROM outbox WHERE destination IN ({marks}) AND body IS NULL"
        " AND state IN ('pending', 'failed')", destinations).fetchone()
    return int(row[0])


def accepted_commands(db: Database) -> list[bytes]:
    """Every command accepted so far, raw (whose key signed which is for commands.py)."""
    return [bytes.fromhex(row[0]) for row in db.execute(
        "SELECT raw FROM sbd_commands WHERE accepted = 1").fetchall()]


def record_command(db: Database, raw: bytes, mtmsn: int | None, outcome: str,
                   counter: int | None = None, command: str | None = None,
                   accepted: bool = False, via: str = "sbd") -> None:
    """Keep a message from headquarters with what became of it (`via`: sbd or mqtt)."""
    db.execute(
        "INSERT INTO sbd_commands (received_at, mtmsn, counter, command, outcome, accepted, raw,"
        " via) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
        [time.time(), mtmsn, counter, command, outcome, int(accepted), raw.hex(), via])


def was_accepted(db: Database, raw: bytes) -> bool:
    """True when exactly this message was accepted already (a broker's redelivery)."""
    return db.execute("SELECT 1 FROM sbd_commands WHERE accepted = 1 AND raw = ? LIMIT 1",
                      [raw.hex()]).fetchone() is not None


def refused_since(db: Database, since: float) -> int:
    return int(db.execute("SELECT COUNT(*) FROM sbd_commands WHERE accepted = 0"
                          " AND received_at >= ?", [since]).fetchone()[0])
