"""Long-running threads that never die silently, and the wake-ups that connect them.

A Worker runs `loop()` until stopped; an exception is logged and the loop restarts after a
capped backoff. `heartbeat` is refreshed by the loop so the supervisor (and systemd's
watchdog) can tell a live thread from a hung one.
"""

from __future__ import annotations

import abc
import logging
import threading
import time
from collections import defaultdict
from collections.abc import Callable
from pathlib import Path

from gateway.errors import LinkError
from gateway.repeats import Repeats
from gateway.store import Store

log = logging.getLogger(__name__)

BACKOFF_FIRST, BACKOFF_CAP = 1.0, 60.0


class Worker(threading.Thread, metaclass=abc.ABCMeta):
    backoff_cap = BACKOFF_CAP

    def __init__(self, name: str):
        super().__init__(name=name, daemon=True)
        self.stopping = threading.Event()
        self.heartbeat = time.monotonic()
        self.up = threading.Event()  # set once its link first came up (for systemd's READY=1)
        self._repeats = Repeats()

    @abc.abstractmethod
    def loop(self) -> None:
        """Do the work until `self.stopping` is set; raise to be restarted after a backoff."""

    def cleanup(self) -> None:
        """Release what the loop held; called once when the worker stops."""

    def beat(self) -> None:
        self.heartbeat = time.monotonic()

    def link_up(self) -> None:
        """The link works (again): readiness counts it, and the next outage is said at once
        rather than hidden as a repeat of the last one."""
        self.up.set()
        self._repeats.clear()

    def stop(self) -> None:
        self.stopping.set()

    def run(self) -> None:
        backoff = BACKOFF_FIRST
        try:
            while not self.stopping.is_set():
                started = time.monotonic()
                try:
                    self.loop()
                except LinkError as exc:
                    self._warn(f"{exc}", backoff)
                except Exception:
                    log.exception("%s failed; restarting in %.0f s", self.name, backoff)
                else:
                    continue
                if time.monotonic() - started > 5 * BACKOFF_CAP:
                    backoff = BACKOFF_FIRST  # it ran well for a while: start backing off afresh
                self.beat()
                self.stopping.wait(backoff)
                backoff = min(self.backoff_cap, backoff * 2)
        finally:
            try:
                self.cleanup()
            except Exception:
                log.exception("%s: cleanup failed", self.name)

    def _warn(self, error: str, backoff: float, level: int = logging.WARNING) -> None:
        """A link error, logged once and again every 10 minutes while it lasts (a modem that
        stays unplugged, or a full disk, must not fill the journal)."""
        if self._repeats.due(error):
            log.log(level, "%s: %s; retrying in %.0f s", self.name, error, backoff)
        else:
            log.debug("%s: %s; retrying in %.0f s", self.name, error, backoff)


class StoreWorker(Worker, metaclass=abc.ABCMeta):
    """A worker with its own connection to the store (SQLite connections are not shared between
    threads), opened by its loop's first run and closed when it stops."""

    def __init__(self, name: str, store_path: Path):
        super().__init__(name)
        self.store_path = store_path
        self.store: Store | None = None

    def open_store(self) -> bool:
        """Open the store unless it is open; True when it was just opened (build what uses it)."""
        if self.store is not None:
            return False
        self.store = Store.open(self.store_path, migrate=False)
        return True

    def close_store(self) -> None:
        if self.store is not None:
            self.store.close()
            self.store = None

    def _store(self) -> Store:
        if self.store is None:
            raise LinkError(f"{self.name}: the store is not open")
        return self.store


class Notifier:
    """Wake-up calls between workers: 'there is new work for destination X'. A worker that
    waits on something else (the GSM worker on its modem's lines) `listen`s instead."""

    def __init__(self) -> None:
        self._events: dict[str, threading.Event] = defaultdict(threading.Event)
        self._listeners: dict[str, list[Callable[[], None]]] = defaultdict(list)
        self._lock = threading.Lock()

    def event(self, destination: str) -> threading.Event:
        with self._lock:
            return self._events[destination]

    def listen(self, destination: str, callback: Callable[[], None]) -> None:
        with self._lock:
            self._listeners[destination].append(callback)

    def __call__(self, destination: str) -> None:
        self.event(destination).set()
        with self._lock:
            listeners = list(self._listeners.get(destination, ()))
        for callback in listeners:
            callback()

    def wait(self, destination: str, timeout: float) -> bool:
        event = self.event(destination)
        woken = event.wait(timeout)
        event.clear()
        return woken
