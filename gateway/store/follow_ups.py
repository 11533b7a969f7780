"""Follow-ups: the word sent back to the people who reported an incident when the base acts on
it. One row per incident change and person (UNIQUE: never twice for one change), kept even when
it was not sent (`skipped`, with the reason: the day's cap, the budget), so the cap counts what
was really sent. `person` is the sender's pseudonym: the number is only in the outbox row."""

from __future__ import annotations

from dataclasses import dataclass

from sqlite_utils import Database

from gateway.store import inserted_id

SKIPPED = "skipped"


@dataclass(frozen=True)
class FollowUpRow:
    id: int
    change_id: int
    alert_ref: str
    action: str
    channel: str
    state: str
    reason: str | None
    created_at: float
    sent_at: float | None
    delivered_at: float | None


def exists(db: Database, change_id: int, person: str) -> bool:
    return db.execute("SELECT 1 FROM follow_ups WHERE change_id = ? AND person = ?",
                      [change_id, person]).fetchone() is not None


def insert(db: Database, change_id: int, alert_id: int, person: str, action: str, channel: str,
           outbox_id: int | None, parts: int, state: str, now: float,
           reason: str | None = None) -> int:
    return inserted_id(db.execute(
        "INSERT INTO follow_ups (change_id, alert_id, person, action, channel, outbox_id, parts,"
        " state, reason, created_at, updated_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
        [change_id, alert_id, person, action, channel, outbox_id, parts, state, reason, now, now]))


def sent_to(db: Database, person: str, since: float) -> int:
    """Follow-ups queued or sent to a person since `since` (what the daily cap counts)."""
    return int(db.execute("SELECT COUNT(*) FROM follow_ups WHERE person = ? AND created_at >= ?"
                          " AND state != 'skipped'", [person, since]).fetchone()[0])


def for_incident(db: Database, incident_id: int) -> list[FollowUpRow]:
    rows = db.execute(
        "SELECT f.id, f.change_id, a.ref, f.action, f.channel, f.state, f.reason, f.created_at,"
        " f.sent_at, f.delivered_at FROM follow_ups f JOIN incident_changes c ON c.id ="
        " f.change_id JOIN alerts a ON a.id = f.alert_id WHERE c.incident_id = ? ORDER BY f.id",
        [incident_id])
    return [FollowUpRow(*row) for row in rows.fetchall()]


def recent(db: Database, limit: int = 50) -> list[FollowUpRow]:
    rows = db.execute(
        "SELECT f.id, f.change_id, a.ref, f.action, f.channel, f.state, f.reason, f.created_at,"
        " f.sent_at, f.delivered_at FROM follow_ups f JOIN alerts a ON a.id = f.alert_id"
        " ORDER BY f.id DESC LIMIT ?", [limit])
    return [FollowUpRow(*row) for row in rows.fetchall()]
