"""What became of each message the base sent with a status report asked: broadcasts and
follow-ups.

Every SMS part the network took is a `sent_parts` row with the message reference +CMGS gave it
and when it expires (its validity period and a grace for the report to travel). A status report
is matched to the part by that reference and the recipient's number (references wrap at 256, so
the newest part with both wins), and its verdict moves the part to `trying` (the network still
tries), `delivered`, `failed` or `expired`. The message's owner (a broadcast recipient or a
follow-up, found by the outbox row) takes the state of its parts: `delivered` only when every
part is, `failed` when one failed, `expired` when one never got a report in time.
"""

from __future__ import annotations

from sqlite_utils import Database

from gateway.store import inserted_id
from gateway.store.crypto import sealer_of

OWNERS = ("broadcast_recipients", "follow_ups")
WAITING = ("sent", "trying")
MATCH_DAYS = 7.0  # a report older than a week answers nothing we still wait for


def record_sent(db: Database, outbox_id: int, references: list[int], now: float,
                validity: float) -> None:
    """The network took the message's parts: keep their references; its owner is `sent`."""
    for part, reference in enumerate(references, 1):
        inserted_id(db.execute(
            "INSERT INTO sent_parts (outbox_id, part, reference, sent_at, expires_at, state)"
            " VALUES (?, ?, ?, ?, ?, 'sent')", [outbox_id, part, reference, now, now + validity]))
    record_handed(db, outbox_id, now)


def record_handed(db: Database, outbox_id: int, now: float) -> None:
    """The message left (an HF bulletin frame: no report will come): its owners are `sent`."""
    for table in OWNERS:
        db.execute(f"UPDATE {table} SET state = 'sent', reason = NULL, sent_at = ?,"
                   " updated_at = ? WHERE outbox_id = ? AND state IN ('queued', 'failed')",
                   [now, now, outbox_id])


def candidates(db: Database, reference: int, now: float) -> list[tuple[int, str | None]]:
    """(part id, recipient's number) of the parts sent with `reference` lately, newest first."""
    sealer = sealer_of(db)  # numbers are sealed in the outbox: opened here, a few at most
    return [(row[0], sealer.unseal(row[1])) for row in db.execute(
        "SELECT p.id, o.recipient FROM sent_parts p JOIN outbox o ON o.id = p.outbox_id"
        " WHERE p.reference = ? AND p.sent_at >= ? ORDER BY p.id DESC",
        [reference, now - MATCH_DAYS * 86400])]


def record_report(db: Database, part_id: int, state: str, status: int, now: float,
                  reason: str | None) -> int:
    """A status report's verdict on one part; the owner follows. Returns the outbox row."""
    db.execute("UPDATE sent_parts SET state = ?, status = ?, report_at = ? WHERE id = ?",
               [state, status, now, part_id])
    outbox_id = int(db.execute("SELECT outbox_id FROM sent_parts WHERE id = ?",
                               [part_id]).fetchone()[0])
    settle(db, outbox_id, now, reason)
    return outbox_id


def expire_due(db: Database, now: float) -> list[int]:
    """Parts whose report never came within their time: `expired`. Their outbox rows."""
    rows = sorted({row[0] for row in db.execute(
        "UPDATE sent_parts SET state = 'expired' WHERE state IN ('sent', 'trying')"
        " AND expires_at <= ? RETURNING outbox_id", [now])})
    for outbox_id in rows:
        settle(db, outbox_id, now, "no status report within the validity period")
    return rows


def settle(db: Database, outbox_id: int, now: float, reason: str | None = None) -> str | None:
    """Give a message's owners the state its parts add up to; that state (None: no parts)."""
    states = [row[0] for row in db.execute("SELECT state FROM sent_parts WHERE outbox_id = ?",
                                           [outbox_id])]
    if not states:
        return None
    for table in OWNERS:
        owner = db.execute(f"SELECT parts FROM {table} WHERE outbox_id = ? LIMIT 1",
                           [outbox_id]).fetchone()
        if owner is None:
            continue
        state = combined(states, owner[0])
        db.execute(f"UPDATE {table} SET state = ?, reason = COALESCE(?, reason),"
                   " delivered_at = CASE WHEN ? = 'delivered' THEN ? ELSE delivered_at END,"
                   " updated_at = ? WHERE outbox_id = ?",
                   [state, None if state == "delivered" else reason, state, now, now, outbox_id])
        return state
    return None


def combined(states: list[str], parts: int) -> str:
    """One message's state from its parts' (a long message is delivered when all parts are)."""
    if "failed" in states:
        return "failed"
    if states.count("delivered") >= parts:
        return "delivered"
    if "expired" in states:
        return "expired"
    return "sent"


# where each owner table's open rows are found without reading its history
_OPEN = {"broadcast_recipients": "broadcast_id IN (SELECT id FROM broadcasts WHERE state = 'sending')",
         "follow_ups": "state IN ('queued', 'sent')"}


def fail_unsent(db: Database, now: float) -> int:
    """Owners still `queued` whose outbox row was given up (failed after its attempts, or
    dropped by hand) are `failed`, with the outbox's last error; how many."""
    changed = 0
    for table, scope in _OPEN.items():
        changed += db.execute(
            f"UPDATE {table} SET state = 'failed', updated_at = ?, reason = (SELECT"
            " COALESCE(o.last_error, o.state) FROM outbox o WHERE o.id = outbox_id)"
            f" WHERE id IN (SELECT t.id FROM {table} t JOIN outbox o ON o.id = t.outbox_id"
            f" WHERE t.{scope} AND t.state = 'queued' AND o.state IN ('failed', 'dropped'))",
            [now]).rowcount
    return changed


def sent_today(db: Database, since: float) -> int:
    """SMS parts sent with a report asked (broadcasts and follow-ups) since `since`."""
    return int(db.execute("SELECT COUNT(*) FROM sent_parts WHERE sent_at >= ?",
                          [since]).fetchone()[0])


def queued_parts(db: Database) -> int:
    """SMS parts of broadcasts and follow-ups still waiting to be sent."""
    total = 0
    for table in OWNERS:
        total += int(db.execute(
            f"SELECT COALESCE(SUM(t.parts), 0) FROM outbox o JOIN {table} t ON t.outbox_id ="
            " o.id WHERE o.state = 'pending' AND o.destination = 'sms'").fetchone()[0])
    return total
