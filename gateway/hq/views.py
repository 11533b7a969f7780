"""What headquarters' views read from its store (`cangw hq-status`, the console's headquarters
mode): every base with its health and liveness, incidents across bases, recent alerts.

Read-only queries over records.py's tables; any connection to the store file will do (the
collector keeps writing meanwhile: WAL).
"""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Iterable
from dataclasses import dataclass, field

from gateway.hq.config import BASE_ID
from gateway.hq.liveness import silence

OPEN_STATES = ("open", "seen", "responding")  # an incident's states while it needs attention
SEVERITY_ORDER = ("Extreme", "Severe", "Moderate", "Minor", "Unknown")
DAY = 86400.0


@dataclass(frozen=True)
class BaseHealth:
    id: str
    liveness: str  # online, silent, or never heard
    silent_reason: str | None  # why it counts as silent now
    silent_since: float | None  # when base_silent was raised (the collector's watch)
    heard_at: float | None  # the last message the cluster stored from it
    state: str | None  # what its last status said: online or offline
    name: str | None = None
    version: str | None = None
    links: dict[str, str] = field(default_factory=dict)  # link -> up/down/...
    waiting: int = 0  # rows in its outboxes not yet delivered
    oldest_undelivered_at: str | None = None
    low_disk: bool = False
    alerts_24h: int = 0
    open_incidents: int = 0


def bases(conn: sqlite3.Connection, base_ids: Iterable[str], now: float, silent_after: float,
          watching_since: float | None = None) -> list[BaseHealth]:
    """Every configured base and every base heard from, by id; a base counts as silent by the
    same rule as the collector's watch (liveness.silence)."""
    rows = {row[0]: row[1:] for row in conn.execute(
        "SELECT base, state, reason, status, heard_at, silent_since, silent_reason FROM hq_bases")}
    counts = dict(conn.execute("SELECT base, COUNT(*) FROM hq_alerts WHERE received_at >= ?"
                               " GROUP BY base", [now - DAY]).fetchall())
    marks = ", ".join("?" * len(OPEN_STATES))
    incidents = dict(conn.execute(f"SELECT base, COUNT(*) FROM hq_incidents WHERE state IN ({marks})"
                                  " GROUP BY base", OPEN_STATES).fetchall())
    ids = sorted({*base_ids, *(base for base in rows if BASE_ID.fullmatch(base))})
    result = []
    for base in ids:
        state, reason, status_text, heard_at, silent_since, _ = rows.get(base, (None,) * 6)
        why = silence(state, reason, heard_at, now, silent_after,
                      now if watching_since is None else watching_since)
        status = _json(status_text)
        liveness = "online" if why is None and heard_at is not None else (
            "never heard" if heard_at is None else "silent")
        queue, store, links = _table(status, "queue"), _table(status, "store"), _table(status, "links")
        result.append(BaseHealth(
            id=base, liveness=liveness, silent_reason=why, silent_since=silent_since,
            heard_at=heard_at, state=state, name=status.get("name"), version=status.get("version"),
            links={name: str(info.get("state")) for name, info in links.items() if isinstance(info, dict)},
            waiting=sum(int(c.get("pending", 0)) for c in queue.values() if isinstance(c, dict)),
            oldest_undelivered_at=status.get("oldest_undelivered_at"),
            low_disk=bool(store.get("low_disk")), alerts_24h=counts.get(base, 0),
            open_incidents=incidents.get(base, 0)))
    return result


@dataclass(frozen=True)
class IncidentView:
    uid: str
    base: str
    version: int
    state: str | None
    level: str | None
    severity: str | None
    via: str
    payload: dict


def incidents(conn: sqlite3.Connection, states: Iterable[str] = OPEN_STATES,
              limit: int = 200, base: str | None = None) -> list[IncidentView]:
    """Incidents of every base (or of `base`) in `states`, most severe first, then the latest
    change first."""
    wanted = list(states)
    marks = ", ".join("?" * len(wanted))
    rank = " ".join(f"WHEN '{name}' THEN {n}" for n, name in enumerate(SEVERITY_ORDER))
    of_base = " AND base = ?" if base else ""
    rows = conn.execute(
        f"SELECT uid, base, version, state, level, severity, via, payload FROM hq_incidents"
        f" WHERE state IN ({marks}){of_base} ORDER BY CASE severity {rank}"
        f" ELSE {len(SEVERITY_ORDER)} END, cluster_at DESC LIMIT ?",
        [*wanted, *([base] if base else []), limit]).fetchall()
    return [IncidentView(row[0], row[1], row[2], row[3], row[4], row[5], row[6], _json(row[7]))
            for row in rows]


@dataclass(frozen=True)
class AlertView:
    uid: str
    base: str
    via: str
    received_at: float | None
    severity: str | None
    category: str | None
    village_number: int | None
    village_name: str | None
    payload: dict


ALERT_COLUMNS = "uid, base, via, received_at, severity, category, village_number, village_name, payload"


def alert_views(rows: Iterable[tuple]) -> list[AlertView]:
    return [AlertView(row[0], row[1], row[2], row[3], row[4], row[5], row[6], row[7], _json(row[8]))
            for row in rows]


def recent_alerts(conn: sqlite3.Connection, since: float, limit: int = 500,
                  base: str | None = None, village: int | None = None) -> list[AlertView]:
    """Alerts of every base (or of `base`, about its `village`) received since `since`, newest
    first."""
    clauses = ["received_at >= ?"]
    found: tuple[tuple[str, str | int | None], ...] = (("base", base), ("village_number", village))
    params: list[object] = [since]
    for column, value in found:
        if value is not None:
            clauses.append(f"{column} = ?")
            params.append(value)
    return alert_views(conn.execute(
        f"SELECT {ALERT_COLUMNS} FROM hq_alerts WHERE {' AND '.join(clauses)}"
        " ORDER BY received_at DESC LIMIT ?", [*params, limit]))


def village_severities(conn: sqlite3.Connection, since: float) -> dict[tuple[str, int], dict[str, int]]:
    """For each (base, village number), its alerts since `since` counted by severity."""
    counts: dict[tuple[str, int], dict[str, int]] = {}
    for base, village, severity, count in conn.execute(
            "SELECT base, village_number, COALESCE(severity, 'Unknown'), COUNT(*) FROM hq_alerts"
            " WHERE received_at >= ? AND village_number IS NOT NULL"
            " GROUP BY base, village_number, severity", [since]):
        counts.setdefault((base, village), {})[severity] = count
    return counts


def last_heard(conn: sqlite3.Connection) -> float | None:
    """When the cluster stored the newest message collected from any base (the collector's
    pulse: every base heartbeats once a minute)."""
    return conn.execute("SELECT MAX(heard_at) FROM hq_bases").fetchone()[0]


def _json(text: str | None) -> dict:
    try:
        value = json.loads(text) if text else {}
    except ValueError:
        return {}
    return value if isinstance(value, dict) else {}


def _table(value: dict, key: str) -> dict:
    inner = value.get(key)
    return inner if isinstance(inner, dict) else {}
