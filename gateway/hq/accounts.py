"""Headquarters' console users and their audit trail, in headquarters' own store.

The console's user and audit functions (gateway/store/users.py, audit.py) work on any `Store`
with these two tables; headquarters adds the `partner` role: another organisation's reader of
the CAP Atom feed, and of nothing else. Headquarters seals no identities (the bases send
pseudonyms and scrubbed texts), so its store has no data key: `open_console_store` gives the
console a plain handle on the file, with the collector's tables made too (a console started
before the first collection shows empty pages rather than failing).
"""

from __future__ import annotations

import sqlite3
from pathlib import Path

from sqlite_utils import Database
from sqlite_utils.migrations import Migrations

from gateway.hq import records
from gateway.store import BUSY_TIMEOUT_MS, Store, keep_private
from gateway.store.schema import run_script

migrations = Migrations("cangw-hq-console")


@migrations()
def m001_console_users(db: Database) -> None:
    """The base's tables (store/schema.py, m008) with the partner role: a released migration
    is never edited, so each store keeps its own text."""
    run_script(db, """
        CREATE TABLE console_users (
            id INTEGER PRIMARY KEY,
            name TEXT NOT NULL UNIQUE,
            role TEXT NOT NULL CHECK (role IN ('officer', 'technician', 'admin', 'partner')),
            language TEXT NOT NULL DEFAULT 'fr',
            password TEXT NOT NULL,
            created_at REAL NOT NULL,
            changed_at REAL NOT NULL
        );
        CREATE TABLE audit (
            id INTEGER PRIMARY KEY,
            at REAL NOT NULL,
            user TEXT,
            action TEXT NOT NULL,
            target TEXT,
            detail TEXT,
            address TEXT
        )
    """)


def open_console_store(path: Path) -> Store:
    """Headquarters' store with the console's tables (and the collector's), as a Store."""
    path.parent.mkdir(parents=True, exist_ok=True)
    keep_private(path)
    db = Database(sqlite3.connect(str(path), timeout=BUSY_TIMEOUT_MS / 1000))
    db.enable_wal()
    db.execute("PRAGMA synchronous=FULL")
    records.migrations.apply(db)
    migrations.apply(db)
    return Store(db, path)
