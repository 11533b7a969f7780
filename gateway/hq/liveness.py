"""Which bases have gone silent: at headquarters a silent base may be a base in trouble.

A base is silent when its last status says it is offline (it shut down, or the cluster
delivered its last will), or when the cluster has stored nothing from it (no status heartbeat,
no alert) for `silent_after` seconds, or when it was never heard since the collector started
that long ago. The last will alone is not enough: NATS never delivers the will of a base whose
node died, so the heartbeat's absence is what catches that case.

A base that falls silent is raised once, as a `base_silent` event in headquarters' store and a
warning in the log; `base_back` when it is heard again. Times are the cluster's (when it stored
a message), so a collector catching up on a backlog does not take old messages for news; the
caller judges only once it has caught up.
"""

from __future__ import annotations

import logging
import sqlite3
from collections.abc import Iterable
from dataclasses import dataclass

from gateway.hq.records import record_event, transaction
from gateway.timeutil import iso_utc

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Change:
    base: str
    event: str  # base_silent or base_back
    reason: str | None


def silence(state: str | None, reason: str | None, heard_at: float | None, now: float,
            silent_after: float, watching_since: float) -> str | None:
    """Why a base counts as silent now, or None when it does not."""
    if state == "offline":
        return f"its status says offline ({reason or 'no reason given'})"
    if heard_at is None:
        if now - watching_since >= silent_after:
            return "never heard"
        return None
    if now - heard_at >= silent_after:
        return f"nothing received for {now - heard_at:.0f} s"
    return None


def watch(conn: sqlite3.Connection, base_ids: Iterable[str], now: float, silent_after: float,
          watching_since: float) -> list[Change]:
    """Raise or clear `base_silent` for each base; the changes made (committed)."""
    changes = []
    with transaction(conn):
        for base in base_ids:
            row = conn.execute("SELECT state, reason, heard_at, silent_since FROM hq_bases"
                               " WHERE base = ?", [base]).fetchone()
            state, reason, heard_at, silent_since = row or (None, None, None, None)
            why = silence(state, reason, heard_at, now, silent_after, watching_since)
            if why is not None and silent_since is None:
                conn.execute("INSERT INTO hq_bases (base, silent_since, silent_reason)"
                             " VALUES (?, ?, ?) ON CONFLICT (base) DO UPDATE SET"
                             " silent_since = excluded.silent_since,"
                             " silent_reason = excluded.silent_reason", [base, now, why])
                record_event(conn, base, "base_silent",
                             {"reason": why, "last_heard_at": iso_utc(heard_at)}, now)
                changes.append(Change(base, "base_silent", why))
            elif why is None and silent_since is not None:
                conn.execute("UPDATE hq_bases SET silent_since = NULL, silent_reason = NULL"
                             " WHERE base = ?", [base])
                record_event(conn, base, "base_back",
                             {"silent_for_s": round(now - silent_since, 1)}, now)
                changes.append(Change(base, "base_back", None))
    for change in changes:
        if change.event == "base_silent":
            log.warning("base %s is silent: %s", change.base, change.reason)
        else:
            log.info("base %s is heard again", change.base)
    return changes
