"""Whether the daemon is running, as another process (the console) can tell.

The daemon holds an exclusive lock on a file beside the store for as long as it runs; the
kernel drops it when the process ends, however it ends (SIGKILL, a crash, a power cut), so
there is no stale pid file to get wrong. The console tries a shared lock: getting it means no
daemon holds the store.
"""

from __future__ import annotations

import fcntl
from pathlib import Path
from typing import IO

from gateway.errors import StoreError


def lock_path(store_path: Path) -> Path:
    return store_path.with_name(store_path.name + ".daemon-lock")


def hold(store_path: Path) -> IO | None:
    """Take the daemon's lock; the open file keeps it (close it to let go). None when another
    daemon already holds this store."""
    try:
        store_path.parent.mkdir(parents=True, exist_ok=True)
        handle = open(lock_path(store_path), "a")  # noqa: SIM115 - held for the daemon's lifetime
    except OSError as exc:
        raise StoreError(f"{store_path}: cannot open the store's folder: {exc}") from None
    try:
        fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        handle.close()
        return None
    return handle


def daemon_running(store_path: Path) -> bool:
    """True while a daemon holds the store's lock."""
    try:
        handle = open(lock_path(store_path))  # noqa: SIM115 - closed below
    except FileNotFoundError:
        return False
    with handle:
        try:
            fcntl.flock(handle, fcntl.LOCK_SH | fcntl.LOCK_NB)
        except BlockingIOError:
            return True
        fcntl.flock(handle, fcntl.LOCK_UN)
        return False
