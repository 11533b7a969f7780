"""Who stopped receiving broadcasts (STOP / ARRET / ACHA) and who resumed (START / REPRISE /
ANZA): a column of the registry (`broadcasts_off_at`) and every change kept with the message
that asked for it. Acknowledgements and follow-ups never look at it."""

from __future__ import annotations

from sqlite_utils import Database

STOP, START = "stop", "start"


def off_since(db: Database, focal_id: int) -> float | None:
    row = db.execute("SELECT broadcasts_off_at FROM focal_points WHERE id = ?",
                     [focal_id]).fetchone()
    return row[0] if row else None


def record(db: Database, focal_id: int, action: str, now: float, message_id: int | None) -> bool:
    """Stop or start broadcasts for a focal point; True when that changed something (a second
    STOP changes nothing: it is kept, and not answered again)."""
    before = off_since(db, focal_id)
    changed = (action == STOP) == (before is None)
    if changed:
        db.execute("UPDATE focal_points SET broadcasts_off_at = ? WHERE id = ?",
                   [now if action == STOP else None, focal_id])
    db.execute("INSERT INTO opt_changes (focal_id, at, action, message_id, answered)"
               " VALUES (?, ?, ?, ?, ?)", [focal_id, now, action, message_id, int(changed)])
    return changed


def stopped(db: Database) -> set[int]:
    """The focal points who do not receive broadcasts."""
    return {row[0] for row in db.execute(
        "SELECT id FROM focal_points WHERE broadcasts_off_at IS NOT NULL")}
