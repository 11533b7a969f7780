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


def in_incident(db: Database, incident_id: int, limit: int | None = None
                ) -> list[tuple[AlertRow, bool]]:
    """An incident's reports in the order they came (the first `limit`), each with whether
    flood control throttled it."""
    columns = ", ".join(f"a.{name.strip()}" for name in COLUMNS.split(","))
    rows = db.execute(f"SELECT {columns}, m.throttled FROM incident_alerts m JOIN alerts a"
                      " ON a.id = m.alert_id WHERE m.incident_id = ? ORDER BY a.id LIMIT ?",
                      [incident_id, -1 if limit is None else limit]).fetchall()
    return [(_opened(db, row[:-1]), bool(row[-1])) for row in rows]


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


def recent_copy(db: Database, channel: str, sender: str | None, text: str, when: float,
                window: float) -> AlertRow | None:
    """The latest alert on `channel` whose message came from `sender` with exactly `text`,
    received within `window` seconds of `when` (a copy of it should fold into it, not raise
    another). Either side: after the wall clock stepped back, the alert before the step looks
    later than `when`; one a whole step away is not a copy, or one report dated a day ahead
    would swallow every report for a day. The sender's recent alerts are few: their texts are
    compared opened."""
    sealer = sealer_of(db)
    rows = db.execute(
        "SELECT a.id, m.text FROM alerts a JOIN messages m ON m.id = a.message_id"
        " WHERE a.channel = ? AND a.received_at BETWEEN ? AND ? AND a.sender_key IS ?"
        " ORDER BY a.id DESC",
        [channel, when - window, when + window, sealer.identity_key(sender)],
    ).fetchall()
    match = next((alert_id for alert_id, sealed in rows if sealer.unseal(sealed) == text), None)
    return None if match is None else get(db, match)


def add_repeat(db: Database, alert_id: int) -> None:
    db.execute("UPDATE alerts SET repeats = repeats + 1 WHERE id = ?", [alert_id])


def fold_call(db: Database, alert_id: int, urgency: str, text: str) -> None:
    """One more call folded into an open missed-call alert: count, urgency, summary."""
    db.execute("UPDATE alerts SET repeats = repeats + 1, urgency = ?, text = ? WHERE id = ?",
               [urgency, sealer_of(db).seal(text), alert_id])


ALARMING = ("Extreme", "Severe", "Unknown")  # the severities the partial index holds


@dataclass(frozen=True)
class FeedFilter:
    """What a page of the feed shows: `lane` "reports" (alerts with a meaning) or "unparsed"
    (free text for a person to read), "all" for both; `state` "seen" or "unseen"."""

    severity: str | None = None
    channel: str | None = None
    village: int | None = None
    state: str | None = None
    lane: str = "all"
    zone: str | None = None  # alerts placed at a village of this zone

    def where(self) -> tuple[list[str], list[object]]:
        clauses: list[str] = []
        params: list[object] = []
        for column, value in (("severity", self.severity), ("channel", self.channel),
                              ("village_number", self.village)):
            if value is not None:
                clauses.append(f"{column} = ?")
                params.append(value)
        if self.zone is not None:
            clauses.append("village_number IN (SELECT number FROM villages WHERE zone = ?)")
            params.append(self.zone)
        if self.state in ("seen", "unseen"):
            negate = "" if self.state == "seen" else "NOT "
            clauses.append(f"{negate}EXISTS (SELECT 1 FROM alerts_seen s WHERE s.alert_id = alerts.id)")
        if self.lane == "unparsed":  # unparsed reports are always of Unknown severity
            clauses.append("severity = 'Unknown' AND code IS NULL AND category IS NULL")
        elif self.lane == "reports":
            clauses.append("(code IS NOT NULL OR category IS NOT NULL)")
        if self.severity in ALARMING or self.lane == "unparsed":
            # the literal condition lets SQLite walk the partial index of alarming alerts
            # instead of every alert (m007_lean_indexes)
            clauses.append("severity IN ('Extreme', 'Severe', 'Unknown')")
        return clauses, params

    @property
    def excludes_unparsed(self) -> bool:
        """True when no unparsed report can match (they are all of Unknown severity)."""
        return self.severity not in (None, "Unknown")


def feed_page(db: Database, wanted: FeedFilter, before: int | None = None,
              limit: int = 50) -> list[AlertRow]:
    """The newest alerts matching `wanted`, older than the id `before` (the last of the
    previous page): by key, so an old page costs what the first does."""
    clauses, params = wanted.where()
    if before is not None:
        clauses.append("id < ?")
        params.append(before)
    where = ("WHERE " + " AND ".join(clauses)) if clauses else ""
    rows = db.execute(f"SELECT {COLUMNS} FROM alerts {where} ORDER BY id DESC LIMIT ?",
                      [*params, limit]).fetchall()
    return [_opened(db, row) for row in rows]


def newer(db: Database, after: int, upto: int, wanted: FeedFilter) -> list[AlertRow]:
    """Alerts with ids in (after, upto] matching `wanted`, oldest first (what a live page lacks)."""
    clauses, params = wanted.where()
    clauses += ["id > ?", "id <= ?"]
    rows = db.execute(f"SELECT {COLUMNS} FROM alerts WHERE {' AND '.join(clauses)} ORDER BY id",
                      [*params, after, upto]).fetchall()
    return [_opened(db, row) for row in rows]


def last_id(db: Database) -> int:
    return int(db.execute("SELECT COALESCE(MAX(id), 0) FROM alerts").fetchone()[0])


def by_village_since(db: Database, since: float) -> dict[int, dict[str, int]]:
    """For each village, how many alerts of each severity were received since `since`."""
    result: dict[int, dict[str, int]] = {}
    for village, severity, count in db.execute(
            "SELECT village_number, severity, COUNT(*) FROM alerts WHERE received_at >= ?"
            " AND village_number IS NOT NULL GROUP BY village_number, severity", [since]):
        result.setdefault(village, {})[severity] = count
    return result
