"""New alerts, noticed within a tenth of a second of their commit, for the open live pages.

The daemon is another process: the console learns of its commits from SQLite itself.
`PRAGMA data_version` changes on a connection when any other connection has committed, and
asking costs no disk read, so polling it ten times a second is nearly free; only when it moves
is the newest alert id read. Each open live page waits on its own queue for the news.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import sqlite3
from pathlib import Path

from gateway.store import BUSY_TIMEOUT_MS

log = logging.getLogger(__name__)

POLL = 0.1


class AlertWatch:
    def __init__(self, store_path: Path, poll: float = POLL):
        self.path = store_path
        self.poll = poll
        self.last_id = 0
        self._version: int | None = None
        self._listeners: set[asyncio.Queue[int]] = set()
        self._conn: sqlite3.Connection | None = None

    def open(self) -> None:
        """Its own connection: a connection does not see its own commits in data_version, and
        the pages' connection writes (voice alerts) that the live pages must show too."""
        self._conn = sqlite3.connect(str(self.path), timeout=BUSY_TIMEOUT_MS / 1000)
        self._conn.execute("PRAGMA query_only=ON")
        self.last_id = self._max_id()

    def close(self) -> None:
        if self._conn is not None:
            self._conn.close()
            self._conn = None

    def _max_id(self) -> int:
        assert self._conn is not None
        return int(self._conn.execute("SELECT COALESCE(MAX(id), 0) FROM alerts").fetchone()[0])

    def check(self) -> bool:
        """Look once; tell the listeners if there are new alerts. True when there were (never
        once closed: the gateway was wiped)."""
        if self._conn is None:
            return False
        version = self._conn.execute("PRAGMA data_version").fetchone()[0]
        if version == self._version:
            return False
        self._version = version
        newest = self._max_id()
        if newest <= self.last_id:
            return False
        self.last_id = newest
        for queue in self._listeners:
            with contextlib.suppress(asyncio.QueueFull):  # a full queue already has news waiting
                queue.put_nowait(newest)
        return True

    async def run(self) -> None:
        while True:
            try:
                self.check()
            except sqlite3.Error as exc:  # a busy or replaced store: look again next time
                log.warning("cannot read the store for new alerts: %s", exc)
            await asyncio.sleep(self.poll)

    def subscribe(self) -> asyncio.Queue[int]:
        queue: asyncio.Queue[int] = asyncio.Queue(maxsize=1)
        self._listeners.add(queue)
        return queue

    def unsubscribe(self, queue: asyncio.Queue[int]) -> None:
        self._listeners.discard(queue)

    @property
    def listeners(self) -> int:
        return len(self._listeners)
