"""Sealing what an older version stored in clear, in place, without losing anything on the way.

A base upgraded in the field has months of numbers, names and texts in clear. They are sealed
row by row, a batch per transaction: an interruption (a power cut, a SIGKILL) leaves some rows
sealed and the rest in clear, which every read accepts, and the next open of the store goes on
where it stopped. Then the file is rebuilt (VACUUM, with `secure_delete` on) so that no old
page or free block keeps a clear copy, and the WAL is emptied; only after that is the job
marked done, so an interruption during the rebuild repeats it.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from gateway.store import Store
    from gateway.store.crypto import Sealer

log = logging.getLogger(__name__)

DONE_KEY, DONE = "sealed_rows", "done"
BATCH = 500
SEALED: dict[str, tuple[str, ...]] = {
    "focal_points": ("phone", "name", "callsign"),
    "messages": ("sender", "text", "raw"),
    "sms_parts": ("sender", "text"),
    "alerts": ("sender", "text"),
    "outbox": ("recipient", "body"),
}
# the look-up keys each table keeps beside its sealed identities: key column -> clear column
KEYED: dict[str, dict[str, str]] = {
    "focal_points": {"phone_key": "phone", "callsign_key": "callsign"},
    "messages": {"sender_key": "sender"},
    "sms_parts": {"sender_key": "sender"},
    "alerts": {"sender_key": "sender"},
}


def finish(store: Store) -> None:
    """Seal every row still in clear, then rebuild the file; nothing to do once done."""
    if store.meta(DONE_KEY) == DONE:
        return
    secret = store.meta("pseudonym_secret")
    if secret is not None and not secret.startswith("sealed:"):
        with store.transaction():
            store.set_meta("pseudonym_secret", store.seal_meta(secret))
    pseudonym = store.pseudonymiser()
    sealed = sum(_seal_table(store, table, pseudonym) for table in SEALED)
    if sealed:
        log.info("sealed %d stored row(s) that held identities in clear", sealed)
    store.db.execute("VACUUM")  # no page and no free block keeps a clear copy
    busy = store.db.execute("PRAGMA wal_checkpoint(TRUNCATE)").fetchone()[0]
    if busy:
        log.warning("the store's WAL could not be emptied (another reader): old frames stay "
                    "until it is reused")
    with store.transaction():
        store.set_meta(DONE_KEY, DONE)


def _seal_table(store: Store, table: str, pseudonym: Callable[[str | None], str | None]) -> int:
    columns = SEALED[table]
    in_clear = " OR ".join(f"(typeof({c}) = 'text' AND {c} != '')" for c in columns)
    sealer, last, count = store.sealer, 0, 0
    while True:
        with store.transaction() as db:
            rows = db.execute(
                f"SELECT rowid, {', '.join(columns)} FROM {table} WHERE rowid > ? AND ({in_clear})"
                f" ORDER BY rowid LIMIT {BATCH}", [last]).fetchall()
            for rowid, *values in rows:
                clear = dict(zip(columns, values, strict=True))
                update = _sealed_values(sealer, clear)
                for key_column, source in KEYED.get(table, {}).items():
                    update[key_column] = sealer.identity_key(_text(clear[source]))
                if table == "alerts":
                    update["pseudonym"] = pseudonym(_text(clear["sender"]))
                db.execute(f"UPDATE {table} SET {', '.join(f'{c} = ?' for c in update)}"
                           " WHERE rowid = ?", [*update.values(), rowid])
        if not rows:
            return count
        count += len(rows)
        last = rows[-1][0]


def _sealed_values(sealer: Sealer, clear: dict[str, object]) -> dict[str, object]:
    """Each column's value sealed; a value already sealed (bytes) stays as it is."""
    return {column: sealer.seal(value) if isinstance(value, str) and value else value
            for column, value in clear.items()}


def _text(value: object) -> str | None:
    """The clear text of a column read during the conversion (sealed ones are never keys'
    sources twice: a row is converted once, whole)."""
    return value if isinstance(value, str) and value else None
