"""Flood control's memory: each sender's recent arrivals and last acknowledgement (by
pseudonym), and the messages folded into an earlier alert as exact repeats."""

from __future__ import annotations

import json

from sqlite_utils import Database


def arrive(db: Database, sender: str, at: float, window: float, keep: int) -> tuple[int, float | None]:
    """Note that `sender` was heard at `at`; (how many times within the `window` before it,
    this one included, counting up to `keep`; when they were last acknowledged)."""
    row = db.execute("SELECT arrivals, last_ack_at FROM sender_flow WHERE sender = ?",
                     [sender]).fetchone()
    times = [t for t in json.loads(row[0]) if at - window < t <= at] if row else []
    times = [*times, at][-keep:]
    db.execute("INSERT INTO sender_flow (sender, arrivals) VALUES (?, ?) ON CONFLICT(sender)"
               " DO UPDATE SET arrivals = excluded.arrivals", [sender, json.dumps(times)])
    return len(times), row[1] if row else None


def acknowledged(db: Database, sender: str, at: float) -> None:
    db.execute("UPDATE sender_flow SET last_ack_at = ? WHERE sender = ?", [at, sender])


def fold(db: Database, message_id: int, alert_id: int) -> None:
    """Keep a message as an exact repeat of `alert_id` (its `repeats` counts it)."""
    db.execute("INSERT INTO message_folds (message_id, alert_id) VALUES (?, ?)",
               [message_id, alert_id])
    db.execute("UPDATE alerts SET repeats = repeats + 1 WHERE id = ?", [alert_id])


def folded(db: Database, alert_id: int) -> list[int]:
    """The messages folded into an alert, oldest first."""
    return [row[0] for row in db.execute(
        "SELECT message_id FROM message_folds WHERE alert_id = ? ORDER BY message_id", [alert_id])]
