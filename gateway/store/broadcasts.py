"""Broadcasts: what the base sent to whom, and what became of each message.

One broadcast row, one recipient row per focal point (UNIQUE: nobody gets a broadcast twice),
and for each SMS recipient one outbox row (destination `sms`) that holds the phone number and
the text in their language: the number lives only there and in the registry. A recipient's
state is `queued` (waiting to be handed to the modem), `sent` (the network took it: +CMGS gave
its message reference), `delivered` (a status report says the phone has it), `failed` (with the
reason) or `expired` (no report within the validity period). An HF recipient is reached by the
bulletin, which has no report: it stays `sent`.

A broadcast is `sending` while recipients are queued, `sent` once every message is with the
network, `settled` when every recipient's state is final; `cancelled_at` says it was cut short.
"""

from __future__ import annotations

import json
from collections import Counter
from dataclasses import dataclass

from sqlite_utils import Database

from gateway.store import inserted_id
from gateway.store.crypto import sealer_of

QUEUED, SENT, DELIVERED, FAILED, EXPIRED = "queued", "sent", "delivered", "failed", "expired"
STATES = (QUEUED, SENT, DELIVERED, FAILED, EXPIRED)
FINAL = (DELIVERED, FAILED, EXPIRED)
SENDING, ALL_SENT, SETTLED = "sending", "sent", "settled"


@dataclass(frozen=True)
class BroadcastRow:
    id: int
    uid: str
    ref: str
    target: str
    template: int | None
    params: dict[str, str]
    text: str | None
    languages: tuple[str, ...]
    texts: dict[str, str]
    origin: str
    by: str
    counter: int | None
    forced: bool
    sms_parts: int
    state: str
    created_at: float
    cancelled_at: float | None
    settled_at: float | None
    summary_version: int
    summary: dict
    summary_at: float | None
    summary_row: int | None


_COLUMNS = ("id, uid, ref, target, template, params, text, languages, texts, origin, by, counter,"
            " forced, sms_parts, state, created_at, cancelled_at, settled_at, summary_version,"
            " summary, summary_at, summary_row")


def _row(row: tuple | None) -> BroadcastRow | None:
    if row is None:
        return None
    values = list(row)
    values[5], values[7], values[8] = json.loads(values[5]), tuple(json.loads(values[7])), \
        json.loads(values[8])
    values[12] = bool(values[12])
    values[19] = json.loads(values[19])
    return BroadcastRow(*values)


@dataclass(frozen=True)
class NewBroadcast:
    target: str
    template: int | None
    params: dict[str, str]
    text: str | None
    languages: tuple[str, ...]
    texts: dict[str, str]
    origin: str
    by: str
    counter: int | None
    forced: bool
    sms_parts: int


def insert(db: Database, base_prefix: str, new: NewBroadcast, now: float) -> int:
    """A broadcast row (uid `KWJ-71b6-B3`, ref `KWJ-B0003` from its id); `base_prefix` is the
    alerts' uid prefix, `KWJ-71b6`."""
    broadcast_id = inserted_id(db.execute(
        "INSERT INTO broadcasts (uid, ref, target, template, params, text, languages, texts,"
        " origin, by, counter, forced, sms_parts, state, created_at) VALUES"
        " ('', '', ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
        [new.target, new.template, json.dumps(new.params, ensure_ascii=False), new.text,
         json.dumps(list(new.languages)), json.dumps(new.texts, ensure_ascii=False), new.origin,
         new.by, new.counter, int(new.forced), new.sms_parts, SENDING, now]))
    base = base_prefix.split("-")[0]
    db.execute("UPDATE broadcasts SET uid = ?, ref = ? WHERE id = ?",
               [f"{base_prefix}-B{broadcast_id}", f"{base}-B{broadcast_id:04d}", broadcast_id])
    return broadcast_id


def add_recipient(db: Database, broadcast_id: int, focal_id: int, channel: str, language: str,
                  outbox_id: int | None, parts: int, now: float) -> int:
    return inserted_id(db.execute(
        "INSERT INTO broadcast_recipients (broadcast_id, focal_id, channel, language, outbox_id,"
        " parts, updated_at) VALUES (?, ?, ?, ?, ?, ?, ?)",
        [broadcast_id, focal_id, channel, language, outbox_id, parts, now]))


def get(db: Database, broadcast_id: int) -> BroadcastRow | None:
    return _row(db.execute(f"SELECT {_COLUMNS} FROM broadcasts WHERE id = ?",
                           [broadcast_id]).fetchone())


def by_ref(db: Database, ref: str) -> BroadcastRow | None:
    """A broadcast by its ref (`KWJ-B0003`), uid (`KWJ-71b6-B3`) or number (`3`)."""
    text = ref.strip().upper()
    number = text.rsplit("-", 1)[-1].removeprefix("B")
    if not number.isdigit():
        return None
    found = get(db, int(number))
    if found is None or not (text.isdigit() or text in (found.ref.upper(), found.uid.upper(),
                                                         f"B{found.id}")):
        return None
    return found


def listing(db: Database, limit: int = 50) -> list[BroadcastRow]:
    rows = db.execute(f"SELECT {_COLUMNS} FROM broadcasts ORDER BY id DESC LIMIT ?", [limit])
    return [b for b in map(_row, rows.fetchall()) if b is not None]


def live(db: Database) -> list[BroadcastRow]:
    """Broadcasts not settled yet (messages waiting, or reports still to come)."""
    rows = db.execute(f"SELECT {_COLUMNS} FROM broadcasts WHERE state != 'settled' ORDER BY id")
    return [b for b in map(_row, rows.fetchall()) if b is not None]


def recent(db: Database, since: float, limit: int) -> list[BroadcastRow]:
    """Broadcasts made since `since` or not settled yet, newest first."""
    rows = db.execute(f"SELECT {_COLUMNS} FROM broadcasts WHERE created_at >= ? OR id IN"
                      " (SELECT id FROM broadcasts WHERE state != 'settled')"
                      " ORDER BY id DESC LIMIT ?", [since, limit])
    return [b for b in map(_row, rows.fetchall()) if b is not None]


def by_counter(db: Database, counter: int) -> BroadcastRow | None:
    return _row(db.execute(f"SELECT {_COLUMNS} FROM broadcasts WHERE counter = ?",
                           [counter]).fetchone())


def set_state(db: Database, broadcast_id: int, state: str, now: float) -> None:
    db.execute("UPDATE broadcasts SET state = ?, settled_at = CASE WHEN ? = 'settled' THEN ?"
               " ELSE settled_at END WHERE id = ?", [state, state, now, broadcast_id])


def mark_cancelled(db: Database, broadcast_id: int, now: float) -> None:
    db.execute("UPDATE broadcasts SET cancelled_at = ? WHERE id = ?", [now, broadcast_id])


def set_summary(db: Database, broadcast_id: int, summary: dict, version: int, now: float,
                row_id: int | None) -> None:
    db.execute("UPDATE broadcasts SET summary = ?, summary_version = ?, summary_at = ?,"
               " summary_row = ? WHERE id = ?",
               [json.dumps(summary), version, now, row_id, broadcast_id])


# -- recipients -------------------------------------------------------------------------------
@dataclass(frozen=True)
class RecipientRow:
    id: int
    focal_id: int
    name: str | None
    channel: str
    language: str
    state: str
    reason: str | None
    parts: int
    sent_at: float | None
    delivered_at: float | None
    outbox_id: int | None


def recipients(db: Database, broadcast_id: int) -> list[RecipientRow]:
    """A broadcast's recipients with their names from the registry (for the base's eyes)."""
    rows = db.execute(
        "SELECT r.id, r.focal_id, f.name, r.channel, r.language, r.state, r.reason, r.parts,"
        " r.sent_at, r.delivered_at, r.outbox_id FROM broadcast_recipients r"
        " LEFT JOIN focal_points f ON f.id = r.focal_id WHERE r.broadcast_id = ? ORDER BY r.id",
        [broadcast_id])
    sealer = sealer_of(db)
    return [RecipientRow(row[0], row[1], sealer.unseal(row[2]), *row[3:]) for row in rows.fetchall()]


def counts(db: Database, broadcast_id: int) -> dict[str, int]:
    """Recipients by state (every state named, 0 included)."""
    found = dict.fromkeys(STATES, 0)
    for state, count in db.execute("SELECT state, COUNT(*) FROM broadcast_recipients"
                                   " WHERE broadcast_id = ? GROUP BY state", [broadcast_id]):
        found[state] = count
    return found


def counts_by(db: Database, broadcast_id: int, column: str) -> dict[str, dict[str, int]]:
    """Recipients by `channel` or `language`, then by state."""
    assert column in ("channel", "language")
    found: dict[str, dict[str, int]] = {}
    for key, state, count in db.execute(
            f"SELECT {column}, state, COUNT(*) FROM broadcast_recipients WHERE broadcast_id = ?"
            f" GROUP BY {column}, state", [broadcast_id]):
        found.setdefault(key, dict.fromkeys(STATES, 0))[state] = count
    return found


def cancel_queued(db: Database, broadcast_id: int, now: float) -> tuple[int, list[int]]:
    """Mark the recipients still queued failed ('cancelled before it was sent'): how many, and
    the SMS outbox rows they had."""
    rows = [row[0] for row in db.execute(
        "SELECT outbox_id FROM broadcast_recipients WHERE broadcast_id = ? AND state = 'queued'"
        " AND channel = 'sms' AND outbox_id IS NOT NULL", [broadcast_id])]
    cancelled = db.execute(
        "UPDATE broadcast_recipients SET state = 'failed', reason = 'cancelled before it was"
        " sent', updated_at = ? WHERE broadcast_id = ? AND state = 'queued'",
        [now, broadcast_id]).rowcount
    return cancelled, rows


def bulletin_rows(db: Database, ref: str) -> list[int]:
    """The HF bulletin frames of broadcast `ref` still waiting (each starts with the ref)."""
    return [row[0] for row in db.execute(
        "SELECT id FROM outbox WHERE destination = 'hf' AND state = 'pending'"
        " AND unseal(body) LIKE ?", [f"{ref} %"])]


def last_received(db: Database, focal_id: int, since: float) -> tuple[int, int] | None:
    """(broadcast id, recipient id) of the latest broadcast a focal point was sent since
    `since`."""
    row = db.execute("SELECT broadcast_id, id FROM broadcast_recipients WHERE focal_id = ?"
                     " AND sent_at >= ? ORDER BY sent_at DESC LIMIT 1", [focal_id, since]).fetchone()
    return (row[0], row[1]) if row else None


# -- replies ----------------------------------------------------------------------------------
def add_reply(db: Database, message_id: int, broadcast_id: int, recipient_id: int, word: str,
              at: float) -> None:
    db.execute("INSERT INTO broadcast_replies (message_id, broadcast_id, recipient_id, word, at)"
               " VALUES (?, ?, ?, ?, ?)", [message_id, broadcast_id, recipient_id, word, at])


def reply_counts(db: Database, broadcast_id: int) -> tuple[int, Counter[str]]:
    """(recipients who replied, replies by their first word)."""
    words: Counter[str] = Counter()
    people = set()
    for recipient_id, word in db.execute("SELECT recipient_id, word FROM broadcast_replies"
                                         " WHERE broadcast_id = ?", [broadcast_id]):
        people.add(recipient_id)
        words[word] += 1
    return len(people), words


def replies(db: Database, broadcast_id: int) -> list[tuple[float, str | None, str]]:
    """(time, focal point's name, text) of each reply, oldest first (for the base's eyes)."""
    sealer = sealer_of(db)
    return [(at, sealer.unseal(name), sealer.unseal(text) or "") for at, name, text in db.execute(
        "SELECT p.at, f.name, m.text FROM broadcast_replies p JOIN messages m ON m.id ="
        " p.message_id JOIN broadcast_recipients r ON r.id = p.recipient_id LEFT JOIN"
        " focal_points f ON f.id = r.focal_id WHERE p.broadcast_id = ? ORDER BY p.at",
        [broadcast_id])]


# -- who a broadcast can reach ----------------------------------------------------------------
@dataclass(frozen=True)
class Member:
    """A focal point as a broadcast sees it."""

    focal_id: int
    phone: str | None
    callsign: str | None
    village: int | None
    zone: str | None
    language: str | None
    stopped: bool  # sent STOP: receives no broadcast


def audience(db: Database) -> list[Member]:
    """Every registered focal point, with its village's zone and whether it stopped broadcasts."""
    rows = db.execute(
        "SELECT f.id, f.phone, f.callsign, f.village, v.zone, f.language,"
        " f.broadcasts_off_at IS NOT NULL FROM focal_points f LEFT JOIN villages v"
        " ON v.number = f.village ORDER BY f.id")
    sealer = sealer_of(db)
    return [Member(focal_id, sealer.unseal(phone), sealer.unseal(callsign), village, zone,
                   language, bool(stopped))
            for focal_id, phone, callsign, village, zone, language, stopped in rows.fetchall()]
