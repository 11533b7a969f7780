"""When the base saw each alert: the record behind the panel's alert LED and buzzer."""

from __future__ import annotations

from collections.abc import Iterable

from sqlite_utils import Database


def mark(db: Database, alert_ids: Iterable[int], via: str, now: float) -> list[int]:
    """Record alerts as seen; returns those not seen before (seeing twice changes nothing)."""
    newly = []
    for alert_id in alert_ids:
        cursor = db.execute(
            "INSERT OR IGNORE INTO alerts_seen (alert_id, seen_at, via) VALUES (?, ?, ?)",
            [alert_id, now, via])
        if cursor.rowcount:
            newly.append(alert_id)
    return newly


def unseen_alarms(db: Database, severities: Iterable[str]) -> list[tuple[int, str]]:
    """(id, severity) of the alerts of these severities nobody has marked seen, oldest first;
    a throttled sender's alerts do not count (their first ones already sounded)."""
    wanted = list(severities)
    marks = ", ".join("?" for _ in wanted)
    # the literal condition lets SQLite use the partial index of alarming alerts
    return [tuple(row) for row in db.execute(
        "SELECT a.id, a.severity FROM alerts a WHERE a.severity IN ('Extreme', 'Severe',"
        f" 'Unknown') AND a.severity IN ({marks}) AND NOT EXISTS"
        " (SELECT 1 FROM alerts_seen s WHERE s.alert_id = a.id) AND NOT EXISTS"
        " (SELECT 1 FROM incident_alerts t WHERE t.alert_id = a.id AND t.throttled)"
        " ORDER BY a.id", wanted)]


def seen(db: Database, alert_id: int) -> tuple[float, str] | None:
    """(seen_at, via) of an alert, or None while unseen."""
    row = db.execute("SELECT seen_at, via FROM alerts_seen WHERE alert_id = ?",
                     [alert_id]).fetchone()
    return (row[0], row[1]) if row else None
