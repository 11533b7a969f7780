"""Headquarters' record of every base: its alerts, incidents, events and last status, as the
collector took them from the cluster, in the same SQLite file as the satellite bridge's
deliveries (hq.toml's `[store] path`) but in tables and migrations of their own.

Every message may come more than once: a base resends an alert whose PUBACK was lost in a
fail-over, the satellite bridge publishes the same alert from the satellite's copy, and the
cluster delivers again a message whose acknowledgement the collector did not get to send. So
each record is kept by its `id` and a second copy changes nothing, except that:
- the base's own copy of an alert (over MQTT) replaces a satellite copy (`"via": "satellite"`:
  the satellite carries less, e.g. a truncated text and no pseudonym);
- an incident keeps its highest `version` (the base's copy wins a tie with the satellite's);
- a base's status is the one the cluster stored last.
`copies` counts the arrivals of each alert and incident, kept ones included.

A message that cannot be a report (not JSON, no id, another base's name in it) is kept apart in
`hq_refused` with the reason, for a person to look at; it never stops the others.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import logging
import sqlite3
from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from sqlite_utils import Database
from sqlite_utils.migrations import Migrations

from gateway.store.schema import run_script

log = logging.getLogger(__name__)

BASE_COPY, SATELLITE = "base", "satellite"

migrations = Migrations("cangw-hq-records")


@migrations()
def m001_records(db: Database) -> None:
    run_script(db, """
        CREATE TABLE hq_alerts (
            uid TEXT PRIMARY KEY,
            base TEXT NOT NULL,
            via TEXT NOT NULL,
            received_at REAL,
            severity TEXT,
            category TEXT,
            code TEXT,
            village_number INTEGER,
            village_name TEXT,
            incident TEXT,
            payload TEXT NOT NULL,
            copies INTEGER NOT NULL DEFAULT 1,
            stream_seq INTEGER NOT NULL,
            cluster_at REAL NOT NULL,
            stored_at REAL NOT NULL
        );
        CREATE INDEX hq_alerts_received ON hq_alerts(received_at);
        CREATE INDEX hq_alerts_base ON hq_alerts(base, received_at);
        CREATE TABLE hq_incidents (
            uid TEXT PRIMARY KEY,
            base TEXT NOT NULL,
            version INTEGER NOT NULL,
            via TEXT NOT NULL,
            state TEXT,
            level TEXT,
            severity TEXT,
            payload TEXT NOT NULL,
            copies INTEGER NOT NULL DEFAULT 1,
            stream_seq INTEGER NOT NULL,
            cluster_at REAL NOT NULL,
            stored_at REAL NOT NULL
        );
        CREATE INDEX hq_incidents_state ON hq_incidents(state, cluster_at);
        CREATE TABLE hq_events (
            key TEXT PRIMARY KEY,
            base TEXT NOT NULL,
            event TEXT NOT NULL,
            via TEXT NOT NULL,
            at REAL NOT NULL,
            payload TEXT NOT NULL,
            stream_seq INTEGER,
            stored_at REAL NOT NULL
        );
        CREATE INDEX hq_events_base ON hq_events(base, at);
        CREATE INDEX hq_events_at ON hq_events(at);
        CREATE TABLE hq_bases (
            base TEXT PRIMARY KEY,
            state TEXT,
            reason TEXT,
            status TEXT,
            status_at REAL,
            heard_at REAL,
            silent_since REAL,
            silent_reason TEXT
        );
        CREATE TABLE hq_refused (
            stream_seq INTEGER PRIMARY KEY,
            subject TEXT NOT NULL,
            reason TEXT NOT NULL,
            payload_head TEXT NOT NULL,
            stored_at REAL NOT NULL
        );
        CREATE TABLE hq_commands (
            id INTEGER PRIMARY KEY,
            base TEXT NOT NULL,
            command TEXT NOT NULL,
            counter INTEGER,
            payload TEXT NOT NULL,
            stream_seq INTEGER NOT NULL,
            sent_at REAL NOT NULL
        )
    """)


def open_records(path: Path) -> sqlite3.Connection:
    """The store file with the collector's tables, committed to disk at every COMMIT."""
    path.parent.mkdir(parents=True, exist_ok=True)
    conn = sqlite3.connect(str(path), timeout=30, isolation_level=None, check_same_thread=False)
    conn.execute("PRAGMA journal_mode=WAL")
    conn.execute("PRAGMA synchronous=FULL")
    migrations.apply(Database(conn))
    return conn


@contextmanager
def transaction(conn: sqlite3.Connection) -> Iterator[sqlite3.Connection]:
    conn.execute("BEGIN IMMEDIATE")
    try:
        yield conn
    except BaseException:
        conn.execute("ROLLBACK")
        raise
    conn.execute("COMMIT")


@dataclass(frozen=True)
class Incoming:
    """One message from the messages stream: where the cluster put it and what it carries."""

    seq: int  # the stream's sequence number
    base: str  # from the topic: the cluster let only that base (or the bridge) publish there
    kind: str  # the topic's last level: alerts, incidents, events, status...
    payload: bytes
    cluster_at: float  # when the cluster stored it (epoch seconds)
    subject: str = ""


class Refused(ValueError):
    """A message that cannot be a report; the reason is kept with it."""


def epoch(value: object) -> float | None:
    """An ISO-8601 time from a payload as epoch seconds; None when absent or unreadable."""
    if not isinstance(value, str):
        return None
    try:
        moment = dt.datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        return None
    return (moment if moment.tzinfo else moment.replace(tzinfo=dt.UTC)).timestamp()


def apply(conn: sqlite3.Connection, batch: list[Incoming], now: float) -> Counter[str]:
    """Record a batch in one transaction (the caller acknowledges it to the stream after);
    what became of each message, counted."""
    tally: Counter[str] = Counter()
    with transaction(conn):
        for message in batch:
            try:
                payload = _decode(message)
                tally[_record(conn, message, payload, now)] += 1
                if not (message.kind == "status" and _is_will(payload)):  # the node said it
                    _heard(conn, message.base, message.cluster_at)
            except Refused as exc:
                _refuse(conn, message, str(exc), now)
                tally["refused"] += 1
    return tally


def _decode(message: Incoming) -> dict:
    try:
        payload = json.loads(message.payload)
    except (UnicodeDecodeError, ValueError):
        raise Refused("not JSON") from None
    if not isinstance(payload, dict):
        raise Refused("not a JSON object")
    named = payload.get("base")
    if named is not None and named != message.base:
        raise Refused(f"published under base {message.base} but names base {named!r}")
    return payload


def _record(conn: sqlite3.Connection, message: Incoming, payload: dict, now: float) -> str:
    if message.kind == "alerts":
        return _alert(conn, message, payload, now)
    if message.kind == "incidents":
        return _incident(conn, message, payload, now)
    if message.kind == "status":
        return _status(conn, message, payload)
    return _event(conn, message, payload, now)


def _via(payload: dict) -> str:
    return SATELLITE if payload.get("via") == SATELLITE else BASE_COPY


def _text_id(payload: dict) -> str:
    uid = payload.get("id")
    if not isinstance(uid, str) or not uid:
        raise Refused("no id")
    return uid


def _alert(conn: sqlite3.Connection, message: Incoming, payload: dict, now: float) -> str:
    uid, via = _text_id(payload), _via(payload)
    row = conn.execute("SELECT via FROM hq_alerts WHERE uid = ?", [uid]).fetchone()
    if row is not None and not (row[0] == SATELLITE and via == BASE_COPY):
        conn.execute("UPDATE hq_alerts SET copies = copies + 1 WHERE uid = ?", [uid])
        return "duplicate"
    village = payload.get("village")
    village = village if isinstance(village, dict) else {}
    number = village.get("number")
    values = [uid, message.base, via, epoch(payload.get("received_at")), payload.get("severity"),
              payload.get("category"), payload.get("code"),
              number if isinstance(number, int) else None, village.get("name"),
              payload.get("incident"), message.payload.decode("utf-8"), message.seq,
              message.cluster_at, now]
    conn.execute(
        "INSERT INTO hq_alerts (uid, base, via, received_at, severity, category, code,"
        " village_number, village_name, incident, payload, stream_seq, cluster_at, stored_at)"
        " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT (uid) DO UPDATE SET"
        " via = excluded.via, received_at = excluded.received_at, severity = excluded.severity,"
        " category = excluded.category, code = excluded.code,"
        " village_number = excluded.village_number, village_name = excluded.village_name,"
        " incident = excluded.incident, payload = excluded.payload, copies = copies + 1,"
        " stream_seq = excluded.stream_seq, cluster_at = excluded.cluster_at,"
        " stored_at = excluded.stored_at", values)
    return "alert" if row is None else "replaced satellite copy"


def _incident(conn: sqlite3.Connection, message: Incoming, payload: dict, now: float) -> str:
    uid, via = _text_id(payload), _via(payload)
    version = payload.get("version")
    if not isinstance(version, int) or isinstance(version, bool):
        raise Refused("an incident without a version number")
    row = conn.execute("SELECT version, via FROM hq_incidents WHERE uid = ?", [uid]).fetchone()
    newer = row is None or version > row[0] or (
        version == row[0] and row[1] == SATELLITE and via == BASE_COPY)
    if not newer:
        conn.execute("UPDATE hq_incidents SET copies = copies + 1 WHERE uid = ?", [uid])
        return "duplicate"
    values = [uid, message.base, version, via, payload.get("state"), payload.get("level"),
              payload.get("severity"), message.payload.decode("utf-8"), message.seq,
              message.cluster_at, now]
    conn.execute(
        "INSERT INTO hq_incidents (uid, base, version, via, state, level, severity, payload,"
        " stream_seq, cluster_at, stored_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)"
        " ON CONFLICT (uid) DO UPDATE SET version = excluded.version, via = excluded.via,"
        " state = excluded.state, level = excluded.level, severity = excluded.severity,"
        " payload = excluded.payload, copies = copies + 1, stream_seq = excluded.stream_seq,"
        " cluster_at = excluded.cluster_at, stored_at = excluded.stored_at", values)
    return "incident"


def _status(conn: sqlite3.Connection, message: Incoming, payload: dict) -> str:
    """The base's last status (its heartbeat, or its will): the one the cluster stored last,
    unless it is the will of a connection older than the one the base is online on."""
    state = payload.get("state") if isinstance(payload.get("state"), str) else None
    reason = payload.get("reason") if isinstance(payload.get("reason"), str) else None
    if _is_will(payload) and _stale_will(conn, message.base, payload):
        return "stale will"
    changed = conn.execute(
        "INSERT INTO hq_bases (base, state, reason, status, status_at) VALUES (?, ?, ?, ?, ?)"
        " ON CONFLICT (base) DO UPDATE SET state = excluded.state, reason = excluded.reason,"
        " status = excluded.status, status_at = excluded.status_at"
        " WHERE hq_bases.status_at IS NULL OR hq_bases.status_at <= excluded.status_at",
        [message.base, state, reason, message.payload.decode("utf-8"), message.cluster_at]).rowcount
    return "status" if changed else "older status"


def _is_will(status: dict) -> bool:
    return status.get("state") == "offline" and status.get("reason") == "lost"


def _stale_will(conn: sqlite3.Connection, base: str, will: dict) -> bool:
    """Whether a last will belongs to an earlier connection than the one the base's stored
    online status came on. NATS publishes a connection's will when the base's session moves to
    another node, which can be after the new connection's first status; each connection has a
    name `<run>-<n>` (gateway/mqtt/link.py). Of another run, the will is taken as stale too:
    a base that is really gone stops its heartbeats, and liveness.py catches that."""
    row = conn.execute("SELECT state, status FROM hq_bases WHERE base = ?", [base]).fetchone()
    if row is None or row[0] != "online":
        return False
    try:
        online = json.loads(row[1]).get("connection")
    except (TypeError, ValueError, AttributeError):
        return False
    lost = will.get("connection")
    if not isinstance(online, str) or not isinstance(lost, str) or online == lost:
        return False
    (run, _, number), (will_run, _, will_number) = online.rpartition("-"), lost.rpartition("-")
    if run == will_run and number.isdigit() and will_number.isdigit():
        return int(will_number) < int(number)
    return True


def _event(conn: sqlite3.Connection, message: Incoming, payload: dict, now: float) -> str:
    """An event (seen by the base, low credit, a satellite status, the network's figures...):
    kept once; the same event resent has the same key."""
    name = payload.get("event") if isinstance(payload.get("event"), str) else message.kind
    if isinstance(payload.get("id"), str):
        key = f"{message.base}:{name}:{payload['id']}"
    else:
        key = f"{message.base}:{message.kind}:" + hashlib.sha256(message.payload).hexdigest()
    added = conn.execute(
        "INSERT OR IGNORE INTO hq_events (key, base, event, via, at, payload, stream_seq,"
        " stored_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
        [key, message.base, name, _via(payload), message.cluster_at,
         message.payload.decode("utf-8"), message.seq, now]).rowcount
    return "event" if added else "duplicate"


def _heard(conn: sqlite3.Connection, base: str, at: float) -> None:
    conn.execute("INSERT INTO hq_bases (base, heard_at) VALUES (?, ?) ON CONFLICT (base) DO UPDATE"
                 " SET heard_at = MAX(COALESCE(heard_at, 0), excluded.heard_at)", [base, at])


def _refuse(conn: sqlite3.Connection, message: Incoming, reason: str, now: float) -> None:
    log.warning("hq-collect: message %d on %s kept apart: %s", message.seq, message.subject,
                reason)
    head = message.payload[:200].decode("utf-8", errors="replace")
    conn.execute("INSERT OR IGNORE INTO hq_refused (stream_seq, subject, reason, payload_head,"
                 " stored_at) VALUES (?, ?, ?, ?, ?)", [message.seq, message.subject, reason,
                                                        head, now])


def record_event(conn: sqlite3.Connection, base: str, event: str, details: dict, now: float) -> None:
    """An event headquarters itself raises about a base (base_silent, base_back)."""
    payload = {"event": event, "base": base, **details}
    conn.execute("INSERT OR IGNORE INTO hq_events (key, base, event, via, at, payload, stored_at)"
                 " VALUES (?, ?, ?, 'hq', ?, ?, ?)",
                 [f"{base}:{event}:{now:.3f}", base, event, now,
                  json.dumps(payload, separators=(",", ":")), now])
