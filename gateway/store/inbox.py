"""Inbound messages as received, and the parts of concatenated SMS waiting for their siblings.

Every message is kept raw before anything else happens to it. A fingerprint (a hash of the PDU)
makes re-reading the same SMS from the SIM after a crash harmless. Senders, texts and PDUs are
stored sealed (store/crypto.py); a sender is found by its look-up key.
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlite_utils import Database

from gateway.model import SmsPart
from gateway.store import inserted_id
from gateway.store.crypto import sealer_of


@dataclass(frozen=True)
class NewMessage:
    channel: str
    sender: str | None
    text: str
    received_at: float
    modem_time: str | None = None
    parts: int = 1
    partial: bool = False
    fingerprint: str | None = None
    raw: str | None = None
    decode_error: str | None = None


@dataclass(frozen=True)
class PartRow:
    id: int
    seq: int
    text: str
    modem_time: str | None
    received_at: float


def is_known(db: Database, fingerprint: str) -> bool:
    """True when this exact SMS (or part) was already committed."""
    return bool(
        db.execute("SELECT 1 FROM messages WHERE fingerprint = ?", [fingerprint]).fetchone()
        or db.execute("SELECT 1 FROM sms_parts WHERE fingerprint = ?", [fingerprint]).fetchone()
    )


def insert_message(db: Database, message: NewMessage) -> int:
    sealer = sealer_of(db)
    cursor = db.execute(
        "INSERT INTO messages (channel, sender, sender_key, text, received_at, modem_time, parts,"
        " partial, fingerprint, raw, decode_error) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
        [message.channel, sealer.seal(message.sender), sealer.identity_key(message.sender),
         sealer.seal(message.text), message.received_at, message.modem_time, message.parts,
         int(message.partial), message.fingerprint, sealer.seal(message.raw),
         message.decode_error],
    )
    return inserted_id(cursor)


def text_and_raw(db: Database, message_id: int) -> tuple[str, str | None] | None:
    """A stored message's text and raw PDU, opened (None when there is no such message)."""
    row = db.execute("SELECT text, raw FROM messages WHERE id = ?", [message_id]).fetchone()
    if row is None:
        return None
    sealer = sealer_of(db)
    return sealer.unseal(row[0]) or "", sealer.unseal(row[1])


def insert_part(db: Database, part: SmsPart, sender: str | None, received_at: float) -> None:
    sealer = sealer_of(db)
    db.execute(
        "INSERT INTO sms_parts (fingerprint, sender, sender_key, concat_ref, total, seq, text,"
        " modem_time, received_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
        [part.fingerprint, sealer.seal(sender), sealer.identity_key(sender), part.concat_ref,
         part.concat_total, part.concat_seq, sealer.seal(part.text), part.modem_time,
         received_at],
    )


def open_group(db: Database, sender: str | None, ref: int, total: int) -> list[PartRow]:
    """The parts received so far of one concatenated message, in order, one per position."""
    sealer = sealer_of(db)
    rows = db.execute(
        "SELECT id, seq, text, modem_time, received_at FROM sms_parts WHERE message_id IS NULL"
        " AND sender_key IS ? AND concat_ref = ? AND total = ? ORDER BY seq, id",
        [sealer.identity_key(sender), ref, total],
    ).fetchall()
    by_seq: dict[int, PartRow] = {}
    for part_id, seq, text, modem_time, received_at in rows:
        by_seq.setdefault(seq, PartRow(part_id, seq, sealer.unseal(text) or "", modem_time,
                                       received_at))
    return list(by_seq.values())


def stale_groups(db: Database, received_before: float) -> list[tuple[str | None, int, int]]:
    """Groups whose first part arrived before the cut-off and are still incomplete."""
    sealer = sealer_of(db)
    rows = db.execute(
        "SELECT MIN(sender), concat_ref, total FROM sms_parts WHERE message_id IS NULL"
        " GROUP BY sender_key, concat_ref, total HAVING MIN(received_at) < ?",
        [received_before],
    ).fetchall()
    return [(sealer.unseal(sender), ref, total) for sender, ref, total in rows]


def shift_open_parts(db: Database, step: float, now: float) -> int:
    """Move the arrival of parts still waiting for their siblings by a step of the wall clock
    (their timeout keeps its length); a part dated after `now` (a step nobody measured) is
    dated `now`. How many parts changed."""
    moved = db.execute("UPDATE sms_parts SET received_at = received_at + ?"
                       " WHERE message_id IS NULL", [step]).rowcount if step else 0
    clamped = db.execute("UPDATE sms_parts SET received_at = ? WHERE message_id IS NULL"
                         " AND received_at > ?", [now, now]).rowcount
    return moved or clamped


def close_group(db: Database, sender: str | None, ref: int, total: int, message_id: int) -> None:
    """Attach every open part of a group (duplicates included) to its assembled message."""
    db.execute(
        "UPDATE sms_parts SET message_id = ? WHERE message_id IS NULL AND sender_key IS ?"
        " AND concat_ref = ? AND total = ?",
        [message_id, sealer_of(db).identity_key(sender), ref, total],
    )
