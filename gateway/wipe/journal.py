"""The wipe's journal: what it must destroy and which steps are done, beside the store.

Written (and synced) before the data key is destroyed, so that a wipe cut short by a SIGKILL
or a power cut is finished by whoever comes next (the restarted daemon, `cangw wipe`), and
kept afterwards: its presence is what makes the store refuse to open and the daemon refuse to
start (store/wiped.py). It holds paths, times and outcomes, never an identity.
"""

from __future__ import annotations

import fcntl
import json
import os
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

from gateway.errors import StoreError
from gateway.store.crypto import sync_folder
from gateway.store.wiped import journal_path

STARTED, DONE = "started", "done"


@dataclass
class Journal:
    path: Path
    record: dict = field(default_factory=dict)

    @classmethod
    def load(cls, store_path: Path) -> Journal | None:
        path = journal_path(store_path)
        try:
            return cls(path, json.loads(path.read_text(encoding="utf-8")))
        except FileNotFoundError:
            return None
        except (OSError, ValueError):
            # a journal cut short while being replaced: the wipe had begun, start it over
            return cls(path, {"state": STARTED, "steps": {}})

    @property
    def done(self) -> bool:
        return self.record.get("state") == DONE

    def outcome(self, step: str) -> str | None:
        return self.record.setdefault("steps", {}).get(step)

    def mark(self, step: str, outcome: str) -> None:
        self.record.setdefault("steps", {})[step] = outcome
        self.save()

    def save(self) -> None:
        """Replace the file atomically and durably (a torn journal is still read as begun)."""
        partial = self.path.with_name(self.path.name + ".part")
        handle = os.open(partial, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        try:
            os.write(handle, json.dumps(self.record, indent=1).encode("utf-8"))
            os.fsync(handle)
        finally:
            os.close(handle)
        os.replace(partial, self.path)
        sync_folder(self.path.parent)


@contextmanager
def locked(store_path: Path) -> Iterator[None]:
    """One process at a time finishes a wipe (the CLI and a restarted daemon may both try)."""
    handle = os.open(store_path.parent, os.O_RDONLY)
    try:
        fcntl.flock(handle, fcntl.LOCK_EX)
        yield
    finally:
        os.close(handle)


@contextmanager
def daemon_lock(store_path: Path) -> Iterator[None]:
    """Held by the running daemon: `cangw wipe` then leaves the links' steps to it."""
    handle = os.open(_lock_file(store_path), os.O_RDWR | os.O_CREAT, 0o600)
    try:
        try:
            fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            raise StoreError(f"another cangw daemon runs on {store_path}") from None
        yield
    finally:
        os.close(handle)


def daemon_running(store_path: Path) -> bool:
    lock = _lock_file(store_path)
    if not lock.exists():
        return False
    handle = os.open(lock, os.O_RDONLY)
    try:
        fcntl.flock(handle, fcntl.LOCK_SH | fcntl.LOCK_NB)
        return False
    except BlockingIOError:
        return True
    finally:
        os.close(handle)


def _lock_file(store_path: Path) -> Path:
    return store_path.with_name(store_path.name + ".lock")
