"""Alerts: what each message was understood to mean, with a reference the caller is given.

The sender and the text are stored sealed (store/crypto.py) with the sender's look-up key and
pseudonym beside them; the pseudonym stays when retention erases the sender.
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlite_utils import Database

from gateway.store import inserted_id
from gateway.store.crypto import sealer_of


@dataclass(frozen=True)
class AlertRow:
    id: int
    uid: str
    seq: int
    ref: str
    message_id: int | None
    channel: str
    code: str | None
    category: str | None
    severity: str
    urgency: str
    village_number: int | None
    village_name: str | None
    count: int | None
    text: str
    sender: str | None
    registered: bool
    language: str
    parts: int
    repeats: int
    partial: bool
    received_at: float
    created_at: float
    entered_by: str | None = None  # the operator who typed a voice alert
    via: str | None = None  # how the operator heard it (radio, phone, in person)
    pseudonym: str | None = None  # what headquarters knows the sender as (kept by retention)


COLUMNS = ("id, uid, seq, ref, message_id, channel, code, category, severity, urgency,"
           " village_number, village_name, count, text, sender, registered, language, parts,"
           " repeats, partial, received_at, created_at, entered_by, via, pseudonym")
TEXT, SENDER = 13, 14  # their places in COLUMNS


def next_seq(db: Database) -> int:
    """The next alert number; after a corrupt store was replaced, numbering goes on from the
    last number read from the old one (`alert_seq_floor`), so no reference is given twice."""
    return int(db.execute(
        "SELECT MAX(COALESCE((SELECT MAX(seq) FROM alerts), 0),"
        " COALESCE((SELECT CAST(value AS INTEGER) FROM meta WHERE key = 'alert_seq_floor'), 0))"
        " + 1").fetchone()[0])


def insert(db: Database, **values: object) -> int:
    """Insert an alert given in clear (with the sender's `pseudonym`, which outlives the
    sender): the sender and text are sealed here."""
    sealer, sender = sealer_of(db), values.get("sender")
    assert sender is None or isinstance(sender, str)
    values |= {"sender": sealer.seal(sender), "sender_key": sealer.identity_key(sender),
               "text": sealer.seal(str(values["text"]))}
    names = ", ".join(values)
    marks = ", ".join("?" for _ in values)
    cursor = db.execute(f"INSERT INTO alerts ({names}) VALUES ({marks})", list(values.values()))
    return inserted_id(cursor)


def get(db: Database, alert_id: int) -> AlertRow | None:
    row = db.execute(f"SELECT {COLUMNS} FROM alerts WHERE id = ?", [alert_id]).fetchone()
    return _row(db, row)


def by_ref(db: Database, ref: str) -> AlertRow | None:
    """The alert with this reference (KWJ-0193) or stable id; found through the sequence number
    the reference ends with, so the lookup stays indexed on a store of years."""
    number = ref.rsplit("-", 1)[-1]
    if number.isdigit():
        row = db.execute(f"SELECT {COLUMNS} FROM alerts WHERE seq = ? AND (ref = ? OR uid = ?)",
                         [int(number), ref.upper(), ref]).fetchone()
        if row:
            return _row(db, row)
    row = db.execute(f"SELECT {COLUMNS} FROM alerts WHERE uid = ?", [ref]).fetchone()
    return _row(db, row)


def recent(db: Database, since: float | None = None, code: str | None = None,
           limit: int | None = 50, unseen: bool = False) -> list[AlertRow]:
    clauses: list[str] = []
    params: list[object] = []
    if unseen:
        clauses.append("id NOT IN (SELECT alert_id FROM alerts_seen)")
    if since is not None:
        clauses.append("received_at >= ?")
        params.append(since)
    if code is not None:
        clauses.append("code IS ?" if code == "" else "code = ?")
        params.append(None if code == "" else code)
    where = ("WHERE " + " AND ".join(clauses)) if clauses else ""
    rows = db.execute(
        f"SELECT {COLUMNS} FROM alerts {where} ORDER BY received_at DESC, id DESC LIMIT ?",
        [*params, -1 if limit is None else limit],
    ).fetchall()
    return [_opened(db, row) for row in rows]


def last_received_at(db: Database) -> float | None:
    return db.execute("SELECT MAX(received_at) FROM alerts").fetchone()[0]


def _row(db: Database, row: tuple | None) -> AlertRow | None:
    return _opened(db, row) if row else None


def _opened(db: Database, row: tuple) -> AlertRow:
    """A stored row as an AlertRow in clear."""
    sealer, values = sealer_of(db), list(row)
    values[TEXT] = sealer.unseal(values[TEXT]) or ""
    values[SENDER] = sealer.unseal(values[SENDER])
    return AlertRow(*values)


def recent_copy(db: Database, channel: str, sender: str | None, text: str,
                since: float) -> AlertRow | None:
    """The latest alert on `channel` whose message came from `sender` with exactly `text`,
    received at or after `since` (a copy of it should fold into it, not raise another). The
    sender's recent alerts are few: their texts are compared opened."""
    sealer = sealer_of(db)
    rows = db.execute(
        "SELECT a.id, m.text FROM alerts a JOIN messages m ON m.id = a.message_id"
        " WHERE a.channel = ? AND a.received_at >= ? AND a.sender_key IS ? ORDER BY a.id DESC",
        [channel, since, sealer.identity_key(sender)],
    ).fetchall()
    match = next((alert_id for alert_id, sealed in rows if sealer.unseal(sealed) == text), None)
    return None if match is None else get(db, match)


def add_repeat(db: Database, alert_id: int) -> None:
    db.execute("UPDATE alerts SET repeats = repeats + 1 WHERE id = ?", [alert_id])


def fold_call(db: Database, alert_id: int, urgency: str, text: str) -> None:
    """One more call folded into an open missed-call alert: count, urgency, summary."""
    db.execute("UPDATE alerts SET repeats = repeats + 1, urgency = ?, text = ? WHERE id = ?",
               [urgency, sealer_of(db).seal(text), alert_id])
