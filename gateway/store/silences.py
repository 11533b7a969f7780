"""When each village and focal point was last heard from, and the check-ins they missed.

`last_heard` is kept as reports arrive (one row per village and per focal point), so the silence
watch reads one small table instead of the alerts of years. A silence is one episode: it starts
at the first check-in missed and ends when the subject is heard again.
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlite_utils import Database

VILLAGE, FOCAL = "village", "focal"


@dataclass(frozen=True)
class SilenceRow:
    id: int
    kind: str  # "village" or "focal"
    subject: int  # the village number or the focal point's id
    village: int | None
    zone: str | None
    due_at: float  # the first check-in missed
    last_heard_at: float | None
    detected_at: float
    ended_at: float | None
    incident_id: int | None


_COLUMNS = ("id, kind, subject, village, zone, due_at, last_heard_at, detected_at, ended_at,"
            " incident_id")


def heard(db: Database, kind: str, subject: int, at: float) -> None:
    db.execute("INSERT INTO last_heard (kind, subject, at) VALUES (?, ?, ?) ON CONFLICT"
               " (kind, subject) DO UPDATE SET at = MAX(at, excluded.at)", [kind, subject, at])


def last_heard(db: Database, kind: str) -> dict[int, float]:
    """subject -> when last heard, for every subject of `kind` ever heard."""
    return dict(db.execute("SELECT subject, at FROM last_heard WHERE kind = ?", [kind]).fetchall())


def start(db: Database, kind: str, subject: int, village: int | None, zone: str | None,
          due_at: float, last_heard_at: float | None, now: float) -> SilenceRow | None:
    """A new silence, unless one is already open for the subject."""
    cursor = db.execute(
        "INSERT OR IGNORE INTO silences (kind, subject, village, zone, due_at, last_heard_at,"
        " detected_at) VALUES (?, ?, ?, ?, ?, ?, ?)",
        [kind, subject, village, zone, due_at, last_heard_at, now])
    return get(db, int(cursor.lastrowid)) if cursor.rowcount else None


def get(db: Database, silence_id: int) -> SilenceRow | None:
    row = db.execute(f"SELECT {_COLUMNS} FROM silences WHERE id = ?", [silence_id]).fetchone()
    return SilenceRow(*row) if row else None


def end(db: Database, kind: str, subject: int, at: float) -> list[SilenceRow]:
    """Close the subject's open silence (heard at `at`); the silences closed."""
    rows = db.execute(f"SELECT {_COLUMNS} FROM silences WHERE kind = ? AND subject = ?"
                      " AND ended_at IS NULL", [kind, subject]).fetchall()
    db.execute("UPDATE silences SET ended_at = ? WHERE kind = ? AND subject = ?"
               " AND ended_at IS NULL", [at, kind, subject])
    return [SilenceRow(*row[:8], at, row[9]) for row in rows]


def open_silences(db: Database) -> list[SilenceRow]:
    """Every open silence, the longest first."""
    rows = db.execute(f"SELECT {_COLUMNS} FROM silences WHERE ended_at IS NULL"
                      " ORDER BY due_at, id").fetchall()
    return [SilenceRow(*row) for row in rows]


def count_open(db: Database) -> int:
    return int(db.execute("SELECT COUNT(*) FROM silences WHERE ended_at IS NULL").fetchone()[0])


def link(db: Database, silence_ids: list[int], incident_id: int) -> None:
    marks = ", ".join("?" * len(silence_ids))
    db.execute(f"UPDATE silences SET incident_id = ? WHERE id IN ({marks})",
               [incident_id, *silence_ids])
