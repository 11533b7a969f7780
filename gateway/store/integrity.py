"""The daemon's start-up check of the store: a corrupt file is moved aside, never deleted.

An SD card that corrupts, or a power cut on a card that lies about its writes, can leave a
store SQLite cannot trust. Receiving must go on, so the daemon runs `PRAGMA quick_check` at
start; on failure it renames the file (and its -wal/-shm) to `<name>.corrupt-<UTC time>` for
forensics, creates a fresh store and salvages what it can read from the old one: the
pseudonym secret (so headquarters still recognises senders), the registry, and the last alert
number (so references are not given out twice). Messages still on the SIM are read into the new
store by the GSM worker's first sweep. The event stays in `meta` and shows in `cangw status`.

Only a store is ever moved: a file with SQLite's header, or the gateway's own store whose
header a card destroyed (its schema is still in it). Any other file at the store's path (a
configuration or a spreadsheet named by mistake) is left as it is and the start is refused.
"""

from __future__ import annotations

import json
import logging
import sqlite3
import time
from pathlib import Path

from gateway.errors import StoreError
from gateway.store import Store, keep_private

log = logging.getLogger(__name__)

CORRUPTION_WORDS = ("malformed", "not a database", "corrupt", "encrypted")
# the registry, and the commands from headquarters (their last counter refuses replays)
SALVAGED_TABLES = ("villages", "focal_points", "sbd_commands")
SQLITE_HEADER = b"SQLite format 3\x00"
# what the gateway writes first into its store (a long statement may be split across pages)
OWN_MARKS, MARK_SEARCH_BYTES = (b"CREATE TABLE sms_parts", b"pseudonym_secret"), 1 << 20


def open_checked(path: Path, key_file: Path | None = None) -> Store:
    """Open the daemon's store after a quick check, replacing it if it is corrupt."""
    verdict = quick_check(path)
    now = time.time()
    if verdict == "ok":
        store = Store.open(path, key_file=key_file)
        with store.transaction():
            store.set_meta("integrity", json.dumps({"result": "ok", "checked_at": now}))
        return store
    if not is_a_store(path):
        raise StoreError(f"{path} is not a SQLite database, so not a store: refusing to start "
                         "rather than move someone's file (set [store] path to a file of its "
                         "own)")
    try:
        moved = move_aside(path, now)
        keep_private(moved[0])  # it still holds the secret and the numbers
    except OSError as exc:
        raise StoreError(f"the store {path} failed its check ({verdict}) and cannot be moved "
                         f"aside: {exc}") from exc
    log.error("the store %s failed its check (%s); moved to %s and a fresh store created; "
              "messages still on the SIM will be read into it", path, verdict, moved[0].name)
    store = Store.open(path, key_file=key_file)
    salvaged = _salvage(moved[0], store)
    event = {"at": now, "moved_to": str(moved[0]), "reason": verdict[:300], "salvaged": salvaged}
    with store.transaction():
        store.set_meta("store_recovered", json.dumps(event))
        store.set_meta("integrity", json.dumps({"result": f"replaced: {verdict[:200]}",
                                                "checked_at": now}))
    return store


def quick_check(path: Path) -> str:
    """'ok', or what is wrong. A locked or unreadable file raises StoreError: that is not
    corruption, and the file must not be moved."""
    if not path.exists():
        return "ok"
    try:
        conn = sqlite3.connect(str(path), timeout=10)
    except sqlite3.Error as exc:
        raise StoreError(f"{path}: cannot open the store: {exc}") from exc
    try:
        rows = conn.execute("PRAGMA quick_check(5)").fetchall()
        return "; ".join(row[0] for row in rows) if rows else "no answer"
    except sqlite3.DatabaseError as exc:
        if any(word in str(exc).lower() for word in CORRUPTION_WORDS):
            return str(exc)
        raise StoreError(f"{path}: cannot check the store: {exc}") from exc
    finally:
        conn.close()


def is_a_store(path: Path) -> bool:
    """True for a SQLite file, or the gateway's own store with its header destroyed."""
    with open(path, "rb") as handle:
        start = handle.read(MARK_SEARCH_BYTES)
    return start.startswith(SQLITE_HEADER) or any(mark in start for mark in OWN_MARKS)


def move_aside(path: Path, now: float) -> list[Path]:
    """Rename the store and its WAL files with a UTC time stamp; returns the new names."""
    stamp = time.strftime("%Y%m%dT%H%M%SZ", time.gmtime(now))
    moved = []
    for suffix in ("", "-wal", "-shm"):
        source = path.with_name(path.name + suffix)
        if source.exists():
            target = path.with_name(f"{path.name}.corrupt-{stamp}{suffix}")
            source.rename(target)
            moved.append(target)
    return moved


def _salvage(old: Path, store: Store) -> dict[str, object]:
    """Copy what can still be read from the corrupt file; each part may fail on its own."""
    salvaged: dict[str, object] = {}
    try:
        source = sqlite3.connect(f"file:{old}?mode=ro", uri=True)
    except sqlite3.Error:
        return salvaged
    try:
        for key in ("pseudonym_secret",):
            value = _read(source, "SELECT value FROM meta WHERE key = ?", [key])
            if value:
                with store.transaction():
                    store.set_meta(key, value[0][0])
                salvaged[key] = True
        last = _read(source, "SELECT MAX(seq) FROM alerts", [])
        if last and last[0][0]:
            with store.transaction():
                store.set_meta("alert_seq_floor", str(last[0][0]))
            salvaged["last_alert_seq"] = last[0][0]
        for table in SALVAGED_TABLES:
            salvaged[table] = _copy_table(source, store, table)
    finally:
        source.close()
    return salvaged


def _copy_table(source: sqlite3.Connection, store: Store, table: str) -> int:
    columns = [row[1] for row in store.db.execute(f"PRAGMA table_info({table})").fetchall()]
    old_columns = {row[1] for row in _read(source, f"PRAGMA table_info({table})", [])}
    shared = [c for c in columns if c in old_columns]
    rows = _read(source, f"SELECT {', '.join(shared)} FROM {table}", []) if shared else []
    copied = 0
    with store.transaction() as db:
        for row in rows:
            try:
                db.execute(f"INSERT INTO {table} ({', '.join(shared)}) VALUES "
                           f"({', '.join('?' for _ in shared)})", list(row))
                copied += 1
            except sqlite3.Error:
                continue
    return copied


def _read(source: sqlite3.Connection, sql: str, params: list) -> list[tuple]:
    try:
        return source.execute(sql, params).fetchall()
    except sqlite3.Error:
        return []
