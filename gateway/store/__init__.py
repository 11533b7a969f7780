"""The SQLite store: the single source of truth, shared by the daemon and the CLI.

WAL lets the CLI read while the daemon writes; `synchronous=FULL` makes a commit survive a
power cut, which is the promise behind every acknowledgement. Each thread opens its own Store
(SQLite connections are not shared between threads).

Identities are sealed under the data key (store/crypto.py), which every open loads from its
file; `secure_delete` makes SQLite zero what it frees, so an erased value does not linger in the
file's free space. A store the emergency wipe has destroyed is never re-created by an open
(store/wiped.py): the gateway must be set up again first.
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
from gateway.store import crypto, seal_rows
from gateway.store.schema import migrations
from gateway.store.wiped import refuse_if_wiped

BUSY_TIMEOUT_MS = 10_000
# Small pages: every commit appends each page it touched to the WAL, and an SD card wears by
# the bytes written. An alert touches about a dozen pages: at SQLite's smallest page (512 bytes)
# its commit fits in two or three 4 KB disk blocks instead of a dozen (bench/ measures it).
PAGE_SIZE = 512
# The store holds the pseudonym secret and every phone number: its owner writes it, the CLI's
# group (cangw) may read it, others nothing, whatever the umask of whoever created it.
FILE_MODE = 0o640

SEALED_PREFIX = "sealed:"  # a `meta` value kept sealed (hex after the prefix)

log = logging.getLogger(__name__)


class Store:
    def __init__(self, db: Database, path: Path):
        self.db = db
        self.path = path

    @classmethod
    def open(cls, path: str | Path, migrate: bool = True, key_file: Path | None = None) -> Store:
        """Open (and on first use create) the store, applying pending migrations and sealing
        what an older version stored in clear.

        `key_file` is `[store] key_file`; without it, the key file this store was last opened
        with (the daemon's workers), else the default beside the store. A missing key is
        created only for a store that has never sealed anything."""
        path = Path(path)
        refuse_if_wiped(path)
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
            db.execute("PRAGMA secure_delete=ON")
            store = cls(db, path)
            try:
                if migrate:
                    migrations.apply(db)
                store._unlock(key_file, create=migrate)
                if migrate:
                    seal_rows.finish(store)
                    store._ensure_identity()
            except BaseException:
                store.close()  # a store refused (no key, wrong key) is not left open
                raise
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

    def _unlock(self, key_file: Path | None, create: bool) -> None:
        """Load the data key and bind its Sealer to this connection (see `open`)."""
        has_meta = self.db["meta"].exists()
        hint = self.meta("key_file") if has_meta else None
        path = key_file or (Path(hint) if hint else crypto.default_key_file(self.path))
        check = self.meta("key_check") if has_meta else None
        if path.exists():
            key = crypto.read_key(path)
        elif check is None and create:
            key = crypto.create_key(path)
        elif check is None:
            return  # an older store read without migrating: it has nothing sealed yet
        else:
            raise StoreError(f"{self.path}: its data key {path} is missing, so the numbers, "
                             "names and messages it holds cannot be read; put the key file "
                             "back (or set [store] key_file to where it is)")
        sealer = crypto.Sealer(key)
        if check is not None and not _opens(sealer, check):
            raise StoreError(f"{path} is not the data key of {self.path}")
        crypto.bind(self.db, sealer)
        if create and (check is None or hint != str(path)):
            with self.transaction():
                self.set_meta("key_file", str(path))
                if check is None:
                    self.set_meta("key_check", self.seal_meta(crypto.KEY_CHECK))

    @property
    def sealer(self) -> crypto.Sealer:
        return crypto.sealer_of(self.db)

    def seal_meta(self, value: str) -> str:
        """A `meta` value sealed, as text."""
        sealed = self.sealer.seal(value)
        assert sealed is not None
        return SEALED_PREFIX + sealed.hex()

    def _ensure_identity(self) -> None:
        with self.transaction():
            if self.meta("pseudonym_secret") is None:
                self.set_meta("pseudonym_secret", self.seal_meta(new_secret()))
            if self.meta("instance") is None:
                self.set_meta("instance", new_secret()[:4])
            if self.meta("created_at") is None:
                self.set_meta("created_at", repr(time.time()))

    def pseudonymiser(self) -> Pseudonymiser:
        return pseudonymiser_of(self.db)

    @property
    def instance(self) -> str:
        return self.meta("instance") or "0000"

    def schema_version(self) -> list[str]:
        return [m.name for m in migrations.applied(self.db)]


def pseudonymiser_of(db: Database) -> Pseudonymiser:
    """The base's pseudonyms, from the secret sealed in `meta`."""
    return Pseudonymiser(pseudonym_secret(db))


def pseudonym_secret(db: Database) -> str:
    """The secret behind the base's pseudonyms, opened (a hand-over may carry it on)."""
    row = db.execute("SELECT value FROM meta WHERE key = 'pseudonym_secret'").fetchone()
    return crypto.sealer_of(db).unseal(_unhex(row[0] if row else None)) or ""


def _opens(sealer: crypto.Sealer, check: str) -> bool:
    try:
        return sealer.unseal(_unhex(check)) == crypto.KEY_CHECK
    except StoreError:
        return False


def _unhex(value: str | None) -> bytes | str | None:
    """A `meta` value as the Sealer takes it: the sealed bytes, or clear text as it is."""
    if value is not None and value.startswith(SEALED_PREFIX):
        return bytes.fromhex(value[len(SEALED_PREFIX):])
    return value


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
