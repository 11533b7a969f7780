"""The durable outbox: every acknowledgement and every delivery to headquarters is a row.

A row is written in the same transaction as the alert that causes it, so a restart resumes all
outgoing work. Rows leave in order of priority (most severe first), then age; a row is done
only on confirmation (the modem's +CMGS, the broker's PUBACK).
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlite_utils import Database

from gateway.store import inserted_id

PENDING, DONE, FAILED, DROPPED = "pending", "done", "failed", "dropped"
RETRY_FIRST, RETRY_CAP = 5.0, 600.0
MAX_ATTEMPTS = 10


@dataclass(frozen=True)
class OutboxRow:
    id: int
    destination: str
    alert_id: int | None
    recipient: str | None
    body: str | None
    priority: int
    attempts: int
    created_at: float


_COLUMNS = "id, destination, alert_id, recipient, body, priority, attempts, created_at"


def enqueue(db: Database, destination: str, priority: int, now: float,
            alert_id: int | None = None, recipient: str | None = None,
            body: str | None = None, not_before: float | None = None) -> int:
    """Queue a row, due at once or from `not_before` (a fallback that waits its turn)."""
    cursor = db.execute(
        "INSERT INTO outbox (destination, alert_id, recipient, body, priority, next_attempt_at,"
        " created_at) VALUES (?, ?, ?, ?, ?, ?, ?)",
        [destination, alert_id, recipient, body, priority,
         now if not_before is None else not_before, now],
    )
    return inserted_id(cursor)


def due(db: Database, destination: str, now: float, limit: int = 1,
        exclude: frozenset[int] | set[int] = frozenset()) -> list[OutboxRow]:
    """Rows ready to go, most severe first, then oldest (at most `limit`, skipping `exclude`)."""
    rows = db.execute(
        f"SELECT {_COLUMNS} FROM outbox WHERE destination = ? AND state = 'pending'"
        " AND next_attempt_at <= ? ORDER BY priority, id LIMIT ?",
        [destination, now, limit + len(exclude)],
    ).fetchall()
    return [OutboxRow(*row) for row in rows if row[0] not in exclude][:limit]


def mark_done(db: Database, row_id: int, now: float) -> None:
    db.execute(
        "UPDATE outbox SET state = 'done', done_at = ?, attempts = attempts + 1,"
        " last_error = NULL WHERE id = ? AND state = 'pending'",
        [now, row_id],
    )


def mark_attempt_failed(db: Database, row_id: int, error: str, now: float,
                        max_attempts: int = MAX_ATTEMPTS, first_delay: float = RETRY_FIRST) -> str:
    """Count a failed attempt and schedule the next with capped exponential backoff; after
    `max_attempts` the row is marked failed (shown in status, retryable by hand)."""
    row = db.execute("SELECT attempts FROM outbox WHERE id = ?", [row_id]).fetchone()
    attempts = (row[0] if row else 0) + 1
    state = FAILED if attempts >= max_attempts else PENDING
    delay = min(RETRY_CAP, first_delay * 2 ** (attempts - 1))
    db.execute(
        "UPDATE outbox SET attempts = ?, state = ?, last_error = ?, next_attempt_at = ?"
        " WHERE id = ?",
        [attempts, state, error[:500], now + delay, row_id],
    )
    return state


def drop(db: Database, row_id: int, reason: str, now: float) -> bool:
    """Give up a pending or failed row on a person's decision; the row stays, with the reason."""
    cursor = db.execute(
        "UPDATE outbox SET state = 'dropped', done_at = ?, last_error = ? WHERE id = ?"
        " AND state IN ('pending', 'failed')",
        [now, reason[:500], row_id],
    )
    return cursor.rowcount > 0


def retry(db: Database, row_id: int, now: float) -> bool:
    """Give a failed row a fresh set of attempts, due now, on a person's decision. Dropped rows
    are never retried: dropping was a decision too."""
    cursor = db.execute(
        "UPDATE outbox SET state = 'pending', attempts = 0, next_attempt_at = ? WHERE id = ?"
        " AND state = 'failed'", [now, row_id])
    return cursor.rowcount > 0


def depth(db: Database) -> dict[str, dict[str, int]]:
    """Rows by destination and state (done and dropped rows are not counted)."""
    result: dict[str, dict[str, int]] = {}
    for state in (PENDING, FAILED):  # each counted on its own partial index
        for destination, count in db.execute(
            "SELECT destination, COUNT(*) FROM outbox WHERE state = ? GROUP BY destination",
            [state],
        ).fetchall():
            result.setdefault(destination, {})[state] = count
    return result


def oldest_pending(db: Database, destination: str) -> float | None:
    row = db.execute(
        "SELECT MIN(created_at) FROM outbox WHERE destination = ? AND state = 'pending'",
        [destination],
    ).fetchone()
    return row[0] if row else None


def listing(db: Database, state: str | None = None, limit: int = 100) -> list[dict]:
    """Outbox rows with their alert reference, newest first, for the CLI."""
    where, params = (("WHERE o.state = ?", [state]) if state else (
        # open work only, through the partial indexes: a store of years has mostly done rows
        "WHERE o.id IN (SELECT id FROM outbox WHERE state = 'pending'"
        " UNION ALL SELECT id FROM outbox WHERE state = 'failed')", []))
    cursor = db.execute(
        "SELECT o.id, o.destination, a.ref, o.state, o.attempts, o.priority, o.created_at,"
        f" o.next_attempt_at, o.last_error FROM outbox o LEFT JOIN alerts a ON a.id = o.alert_id"
        f" {where} ORDER BY o.id DESC LIMIT ?",
        [*params, limit],
    )
    names = [d[0] for d in cursor.description]
    return [dict(zip(names, row, strict=True)) for row in cursor.fetchall()]


def hf_done_times(db: Database, since: float) -> list[float]:
    """When HF acknowledgements were sent since `since`, oldest first (the frame budget must
    hold across a restart; a partial index keeps this a short read)."""
    rows = db.execute(
        "SELECT done_at FROM outbox WHERE destination = 'hf' AND state = 'done' AND done_at >= ?"
        " ORDER BY done_at", [since]).fetchall()
    return [row[0] for row in rows]


def settle_fallbacks(db: Database, delivered: list[int], primary: str, fallbacks: list[str],
                     now: float) -> int:
    """Close the fallback uplinks' rows of the alerts these rows of a primary uplink have just
    delivered, and their copies of the messages delivered (an incident's state: same recipient,
    same body); how many were closed. Called as the primary confirms, so it reads only the rows
    still waiting, never the outbox's history."""
    if not fallbacks or not delivered:
        return 0
    rows, routes = ", ".join("?" * len(delivered)), ", ".join("?" * len(fallbacks))
    cursor = db.execute(
        "UPDATE outbox SET state = 'done', done_at = ?, last_error = ?"
        f" WHERE destination IN ({routes}) AND state = 'pending' AND (alert_id IN"
        f" (SELECT alert_id FROM outbox WHERE id IN ({rows}) AND body IS NULL"
        " AND alert_id IS NOT NULL) OR (recipient, body) IN (SELECT recipient, body FROM outbox"
        f" WHERE id IN ({rows}) AND recipient IS NOT NULL AND body IS NOT NULL))",
        [now, f"not needed: delivered over {primary.upper()}", *fallbacks, *delivered,
         *delivered])
    return cursor.rowcount


def supersede(db: Database, row_id: int, reason: str, now: float) -> bool:
    """Close a row still waiting because a newer row carries everything it would have (the
    whole state of an incident); a row already handed to its link is closed all the same, and
    its confirmation then changes nothing."""
    cursor = db.execute("UPDATE outbox SET state = 'done', done_at = ?, last_error = ?"
                        " WHERE id = ? AND state = 'pending'", [now, reason[:500], row_id])
    return cursor.rowcount > 0


def waiting(db: Database, destination: str, alert_id: int) -> bool:
    """True while an alert's own row (not an event about it) waits for `destination`."""
    return db.execute("SELECT 1 FROM outbox WHERE destination = ? AND state = 'pending'"
                      " AND alert_id = ? AND body IS NULL LIMIT 1",
                      [destination, alert_id]).fetchone() is not None
