"""`cangw panel test` through the running daemon, or directly when no daemon drives the panel.

On a Pi a GPIO line belongs to one process: while the daemon runs, the CLI cannot drive the
panel's pins. So the CLI leaves a request in the store (meta keys) and the daemon's panel
worker, which reads the store twice a second anyway, runs the cycle and records the outcome.
"""

from __future__ import annotations

import json
import time
import uuid
from dataclasses import asdict, dataclass

from gateway.store import Store

REQUEST, STARTED, DONE = "panel_test_request", "panel_test_started", "panel_test_done"
MAX_AGE = 10.0  # a request older than this is stale: its command has given up


@dataclass(frozen=True)
class TestRequest:
    id: str
    at: float
    seconds: float
    relay: bool


def request(store: Store, seconds: float, relay: bool, now: float) -> TestRequest:
    wanted = TestRequest(uuid.uuid4().hex[:12], now, seconds, relay)
    with store.transaction():
        store.set_meta(REQUEST, json.dumps(asdict(wanted)))
    return wanted


def pending(store: Store, now: float, last_id: str | None) -> TestRequest | None:
    """A fresh request not yet handled, for the daemon's panel worker."""
    raw = store.meta(REQUEST)
    if raw is None:
        return None
    try:
        wanted = TestRequest(**json.loads(raw))
    except (ValueError, TypeError):
        return None
    if wanted.id == last_id or not 0 <= now - wanted.at <= MAX_AGE:
        return None
    return wanted


def record(store: Store, key: str, wanted: TestRequest, **outcome: object) -> None:
    with store.transaction():
        store.set_meta(key, json.dumps({"id": wanted.id, **outcome}))


def wait(store: Store, key: str, wanted: TestRequest, timeout: float) -> dict | None:
    """The outcome recorded under `key` for this request, or None after `timeout` seconds."""
    deadline = time.monotonic() + timeout
    while True:
        raw = store.meta(key)
        if raw is not None:
            outcome = json.loads(raw)
            if outcome.get("id") == wanted.id:
                return outcome
        if time.monotonic() > deadline:
            return None
        time.sleep(0.1)


def withdraw(store: Store, wanted: TestRequest) -> None:
    """Remove our request so that a daemon started later does not run it."""
    with store.transaction() as db:
        db.execute("DELETE FROM meta WHERE key = ? AND value LIKE ?", [REQUEST, f'%"{wanted.id}"%'])
