"""The SQLite store: the single source of truth, shared by the daemon and the CLI.

WAL lets the CLI read while the daemon writes; `synchronous=FULL` makes a commit survive a
power cut, which is the promise behind every acknowledgement. Each thread opens its own Store
(SQLite connections are not shared between threads).
"""

from __future__ import annotations

import contextlib
import logging
import os
import shutil
import sqlite3
import stat
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from sqlite_utils import Database

from gateway.alerts.pseudonym import Pseudonymiser, new_secret
from gateway.errors import StoreError
from gateway.store.schema import migrations

BUSY_TIMEOUT_MS = 10_000
# Small pages: every commit appends each page it touched to the WAL, and an SD card wears by
# the bytes written. An alert touches about a dozen pages: at SQLite's smallest page (512 bytes)
# its commit fits in two or three 4 KB disk blocks instead of a dozen (bench/ measures it).
PAGE_SIZE = 512
# The store holds the pseudonym secret and every phone number: its owner writes it, the CLI's
# group (cangw) may read it, others nothing, whatever the umask of whoever created it.
FILE_MODE = 0o640

log = logging.getLogger(__name__)


class Store:
    def __init__(self, db: Database, path: Path):
        self.db = db
        self.path = path

    @classmethod
    def open(cls, path: str | Path, migrate: bool = True) -> Store:
        """Open (and on first use create) the store, applying pending migrations."""
        path = Path(path)
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
            keep_private(path)
            conn = sqlite3.connect(str(path), timeout=BUSY_TIMEOUT_MS / 1000)
            db = Database(conn)
            db.execute(f"PRAGMA busy_timeout={BUSY_TIMEOUT_MS}")
            db.execute(f"PRAGMA page_size={PAGE_SIZE}")  # takes effect when the file is created
            db.enable_wal()
            db.execute("PRAGMA synchronous=FULL")
            db.execute("PRAGMA foreign_keys=ON")
            store = cls(db, path)
            if migrate:
                migrations.apply(db)
                store._ensure_identity()
        except (sqlite3.Error, OSError) as exc:
            raise StoreError(f"{path}: cannot open the store: {exc}") from exc
        return store

    def close(self) -> None:
        self.db.close()

    def __enter__(self) -> Store:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    @contextmanager
    def transaction(self, durable: bool = True) -> Iterator[Database]:
        """A write transaction taken up front (BEGIN IMMEDIATE), so it never dead-locks on upgrade.

        `durable=False` is for marks whose loss only repeats work (an acknowledgement or a
        delivery marked done): the commit is not synced at once but rides on the next durable
        one. A power cut may undo it, and the work is done again; it saves the SD card a block
        write for every acknowledgement and every delivery."""
        conn = self.db.conn
        if conn.in_transaction:
            with self.db.atomic():
                yield self.db
            return
        if not durable:
            conn.execute("PRAGMA synchronous=NORMAL")
        try:
            conn.execute("BEGIN IMMEDIATE")
            try:
                yield self.db
            except BaseException:
                if conn.in_transaction:
                    conn.execute("ROLLBACK")
                raise
            conn.execute("COMMIT")
        finally:
            if not durable:
                conn.execute("PRAGMA synchronous=FULL")

    # -- meta ---------------------------------------------------------------------------------
    def meta(self, key: str, default: str | None = None) -> str | None:
        row = self.db.execute("SELECT value FROM meta WHERE key = ?", [key]).fetchone()
        return row[0] if row else default

    def set_meta(self, key: str, value: str) -> None:
        self.db.execute(
            "INSERT INTO meta(key, value) VALUES (?, ?) "
            "ON CONFLICT(key) DO UPDATE SET value = excluded.value",
            [key, value],
        )

    def bump_meta_counter(self, key: str) -> None:
        self.set_meta(key, str(int(self.meta(key) or "0") + 1))

    def _ensure_identity(self) -> None:
        with self.transaction():
            if self.meta("pseudonym_secret") is None:
                self.set_meta("pseudonym_secret", new_secret())
            if self.meta("instance") is None:
                self.set_meta("instance", new_secret()[:4])
            if self.meta("created_at") is None:
                self.set_meta("created_at", repr(time.time()))

    def pseudonymiser(self) -> Pseudonymiser:
        return Pseudonymiser(self.meta("pseudonym_secret") or "")

    @property
    def instance(self) -> str:
        return self.meta("instance") or "0000"

    def schema_version(self) -> list[str]:
        return [m.name for m in migrations.applied(self.db)]


def inserted_id(cursor: sqlite3.Cursor) -> int:
    """The id of the row an INSERT just wrote."""
    if cursor.lastrowid is None:
        raise StoreError("the insert wrote no row")
    return cursor.lastrowid


def keep_private(path: Path) -> None:
    """Create the database file `path` with FILE_MODE if it is missing, and take others' access
    from it and its -wal and -shm files if they have any. SQLite gives the -wal and -shm the
    database file's own mode when it creates them."""
    if not path.exists():
        with contextlib.suppress(FileExistsError):  # another process created it meanwhile
            os.close(os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, FILE_MODE))
    for name in (path.name, f"{path.name}-wal", f"{path.name}-shm"):
        candidate = path.with_name(name)
        try:
            mode = stat.S_IMODE(candidate.stat().st_mode)
            if mode & stat.S_IRWXO:
                candidate.chmod(mode & ~stat.S_IRWXO)
                log.warning("%s was open to others (%o); made %o", candidate, mode,
                            mode & ~stat.S_IRWXO)
        except FileNotFoundError:
            continue
        except PermissionError:
            log.warning("%s is open to others and only its owner can change that "
                        "(chmod o-rwx %s)", candidate, candidate)


def free_disk_mb(path: Path) -> int:
    """Megabytes free on the disk that holds the store at `path` (what a write may still use)."""
    return shutil.disk_usage(path.parent).free // (1024 * 1024)
