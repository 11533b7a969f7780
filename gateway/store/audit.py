"""Who did what at the console, and when: one row per action, kept in the store.

Targets are record ids and alert references, never a focal point's phone number or name, so
the trail can be shown to anyone who may read the console's own logs.
"""

from __future__ import annotations

import time
from dataclasses import dataclass

from sqlite_utils import Database

from gateway.store import Store


@dataclass(frozen=True)
class AuditEntry:
    id: int
    at: float
    user: str | None
    action: str
    target: str | None
    detail: str | None
    address: str | None


def record(store: Store, user: str | None, action: str, target: str | None = None,
           detail: str | None = None, address: str | None = None) -> None:
    """Write one action (in the caller's transaction if there is one, else in its own)."""
    with store.transaction():
        store.db.execute("INSERT INTO audit (at, user, action, target, detail, address)"
                         " VALUES (?, ?, ?, ?, ?, ?)",
                         [time.time(), user, action, target, detail, address])


def entries(db: Database, limit: int = 100, before: int | None = None,
            user: str | None = None) -> list[AuditEntry]:
    """Newest first, a page at a time (`before`: the last id of the previous page)."""
    clauses: list[str] = []
    params: list[object] = []
    if before is not None:
        clauses.append("id < ?")
        params.append(before)
    if user is not None:
        clauses.append("user = ?")
        params.append(user)
    where = ("WHERE " + " AND ".join(clauses)) if clauses else ""
    return [AuditEntry(*row) for row in db.execute(
        f"SELECT id, at, user, action, target, detail, address FROM audit {where}"
        " ORDER BY id DESC LIMIT ?", [*params, limit])]
