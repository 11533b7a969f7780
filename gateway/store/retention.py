"""Retention: after `[store] retention_days`, who sent a message and what it said are erased.

A store that keeps every sender forever becomes, over the years, a list of everyone who ever
warned the base. The facts an alert established stay (code, category, severity, village,
time, count, the sender's pseudonym and whether they were registered, and what was done about
it): headquarters' statistics and the history of incidents do not need who or the raw words.
Erased are: each message's sender, text and PDU; the parts of long SMS; each alert's sender and
text; the recipient and text of outgoing messages already delivered or dropped.

Erasing works in small batches (the daemon's other writers wait only a moment), with
`secure_delete` zeroing what the rows held, then the WAL is emptied so that no old frame keeps
the values either. The daemon runs it once a day; `cangw db purge --dry-run` shows what it
would erase.
"""

from __future__ import annotations

import logging
import sqlite3
from collections.abc import Callable
from dataclasses import dataclass

from gateway.errors import GatewayError
from gateway.store import Store

log = logging.getLogger(__name__)

DAY = 86_400.0
RETRY = 3600.0  # a failed run is tried again after an hour, not a day
BATCH = 1000
# table -> (which rows are due, given the cut-off; what erasing sets)
ERASED = {
    "messages": ("received_at < ? AND erased_at IS NULL",
                 "sender = NULL, sender_key = NULL, text = '', raw = NULL, erased_at = ?"),
    "sms_parts": ("received_at < ? AND (sender IS NOT NULL OR text != '')",
                  "sender = NULL, sender_key = NULL, text = ''"),
    "alerts": ("received_at < ? AND erased_at IS NULL",
               "sender = NULL, sender_key = NULL, text = '', erased_at = ?"),
    "outbox": ("done_at < ? AND state IN ('done', 'dropped') AND recipient IS NOT NULL",
               "recipient = NULL, body = NULL"),
}


@dataclass(frozen=True)
class Purge:
    cutoff: float
    erased: dict[str, int]  # rows by table

    @property
    def total(self) -> int:
        return sum(self.erased.values())


def purge(store: Store, retention_days: int, now: float, dry_run: bool = False) -> Purge:
    """Erase (or with `dry_run` only count) what is older than `retention_days` at `now`."""
    cutoff = now - retention_days * DAY
    if dry_run:
        return Purge(cutoff, {table: store.db.execute(
            f"SELECT COUNT(*) FROM {table} WHERE {where}", [cutoff]).fetchone()[0]
            for table, (where, _) in ERASED.items()})
    erased = {table: _erase(store, table, cutoff, now) for table in ERASED}
    if any(erased.values()):
        store.db.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    return Purge(cutoff, erased)


def _erase(store: Store, table: str, cutoff: float, now: float) -> int:
    where, assignments = ERASED[table]
    stamp = [now] if "?" in assignments else []
    total = 0
    while True:
        with store.transaction() as db:
            count = db.execute(
                f"UPDATE {table} SET {assignments} WHERE rowid IN"
                f" (SELECT rowid FROM {table} WHERE {where} LIMIT {BATCH})",
                [*stamp, cutoff]).rowcount
        total += count
        if count < BATCH:
            return total


class DailyPurge:
    """The daemon's daily retention job: at start, then every 24 hours."""

    def __init__(self, open_store: Callable[[], Store], retention_days: int,
                 clock: Callable[[], float]):
        self.open_store = open_store
        self.retention_days = retention_days
        self.clock = clock
        self.last_run: float | None = None

    def tick(self) -> Purge | None:
        """Run when a day has passed since the last run; a failure is logged, never raised."""
        now = self.clock()
        if self.last_run is not None and now - self.last_run < DAY:
            return None
        self.last_run = now
        try:
            with self.open_store() as store:
                done = purge(store, self.retention_days, now)
        except (GatewayError, sqlite3.Error) as exc:
            log.error("retention: the daily erasure failed (%s); trying again in an hour", exc)
            self.last_run = now - DAY + RETRY
            return None
        if done.total:
            log.info("retention: erased the senders and texts older than %d days (%s)",
                     self.retention_days,
                     ", ".join(f"{n} {table}" for table, n in done.erased.items() if n))
        return done
