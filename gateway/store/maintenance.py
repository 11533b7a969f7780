"""Looking after the store file: a consistent copy while the daemon runs, and a health check.

The copy uses SQLite's online backup API in one step, so it is a snapshot of one moment even
while the daemon writes (WAL lets the daemon go on meanwhile), then is checked and made a
single self-contained file before it takes the target's name.
"""

from __future__ import annotations

import json
import os
import sqlite3
from dataclasses import dataclass, field
from pathlib import Path

from gateway.store import Store, free_disk_mb, keep_private
from gateway.store.schema import migrations

BACKUPS = "backups"  # meta: every copy made, for the wipe
COUNTED = ("messages", "alerts", "alerts_seen", "outbox", "focal_points", "villages")
LOW_DISK_MB = 50


@dataclass
class Health:
    problems: list[str] = field(default_factory=list)
    facts: dict[str, object] = field(default_factory=dict)


def backup(store: Store, target: Path) -> dict[str, object]:
    """Copy the store to `target` (replaced only once the copy is complete and checked)."""
    partial = target.with_name(target.name + ".part")
    partial.unlink(missing_ok=True)
    keep_private(partial)  # it holds the pseudonym secret, as the store does
    copy = sqlite3.connect(partial)
    try:
        store.db.conn.backup(copy)
        copy.execute("PRAGMA journal_mode=DELETE")  # one file, no -wal beside it
        verdict = copy.execute("PRAGMA quick_check").fetchone()[0]
        counts = {t: copy.execute(f"SELECT COUNT(*) FROM {t}").fetchone()[0]
                  for t in COUNTED if _has_table(copy, t)}
    finally:
        copy.close()
    if verdict != "ok":
        partial.unlink(missing_ok=True)
        raise sqlite3.DatabaseError(f"the copy failed its check: {verdict}")
    with open(partial, "rb") as handle:
        os.fsync(handle.fileno())
    os.replace(partial, target)
    with store.transaction():  # the emergency wipe destroys every copy it knows of
        known = json.loads(store.meta(BACKUPS) or "[]")
        store.set_meta(BACKUPS, json.dumps(sorted({*known, str(target.resolve())})))
    return {"path": str(target), "bytes": target.stat().st_size, **counts}


def check(store: Store) -> Health:
    """Integrity, foreign keys, migrations, journal mode, sizes and free disk space."""
    db, health = store.db, Health()
    integrity = [row[0] for row in db.execute("PRAGMA integrity_check(20)").fetchall()]
    if integrity != ["ok"]:
        health.problems += [f"integrity: {line}" for line in integrity]
    for table, rowid, parent, _ in db.execute("PRAGMA foreign_key_check").fetchall()[:20]:
        health.problems.append(f"foreign key: {table} row {rowid} points to a missing {parent}")
    pending = [m.name for m in migrations.pending(db)]
    if pending:
        health.problems.append(f"migrations not applied: {', '.join(pending)} (start the daemon "
                               "or any cangw command that opens the store to apply them)")
    mode = db.execute("PRAGMA journal_mode").fetchone()[0]
    if mode != "wal":
        health.problems.append(f"journal mode is {mode}, expected wal")
    wal = store.path.with_name(store.path.name + "-wal")
    free_mb = free_disk_mb(store.path)
    if free_mb < LOW_DISK_MB:
        health.problems.append(f"only {free_mb} MB free on the store's disk")
    health.facts = {
        "path": str(store.path), "bytes": store.path.stat().st_size,
        "wal_bytes": wal.stat().st_size if wal.exists() else 0, "journal_mode": mode,
        "schema": store.schema_version()[-1] if store.schema_version() else None,
        "disk_free_mb": free_mb,
        **{t: db.execute(f"SELECT COUNT(*) FROM {t}").fetchone()[0]
           for t in COUNTED if _has_table(db.conn, t)},
    }
    return health


def _has_table(conn: sqlite3.Connection, name: str) -> bool:
    return conn.execute("SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = ?",
                        [name]).fetchone() is not None
