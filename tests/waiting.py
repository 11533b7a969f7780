"""Waiting for a worker to have done its rounds, to show that something does *not* happen.

A fixed sleep says nothing on a loaded machine (the worker may not have looked yet) and wastes
time on an idle one. A worker's heartbeat moves at the start of each turn of its loop, so once
it has moved twice, one whole turn ran after the wait began: whatever that turn would have done
is done.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from gateway.sim.harness import query, wait_for
from gateway.workers import Worker


def wait_for_turns(worker: Worker, count: int = 2, wake: Callable[[], None] | None = None,
                   timeout: float = 15.0) -> None:
    """Wait until `worker` has begun `count` more turns (count - 1 of them whole); `wake`
    (such as a notifier call) starts each turn at once instead of after the worker's idle
    wait."""
    for _ in range(count):
        last = worker.heartbeat
        if wake is not None:
            wake()
        wait_for(lambda last=last: worker.heartbeat > last, timeout, interval=0.005,
                 what=f"a turn of the {worker.name} worker")


def wait_until_done(db: Path, destination: str, where: str = "1", timeout: float = 20.0) -> None:
    """Wait until every outbox row for `destination` (and `where`) is done. A row is done once
    its acknowledgement is back (the broker's PUBACK), a moment *after* the far end has the
    message: a test that stops the daemon as soon as headquarters has it may stop it first."""
    wait_for(lambda: query(db, f"SELECT COUNT(*) FROM outbox WHERE destination = ? AND ({where})"
                               " AND state != 'done'", [destination]) == [(0,)],
             timeout, what=f"every {destination} outbox row done (acknowledged)")
