"""Incidents: the events alerts report, which alerts belong to each, and every change made to one.

An incident's counts (reports, senders, channels, severity...) are worked out from its alerts as
they were stored (`refresh`), so a village renamed or a focal point moved later changes nothing
an incident was decided with. Times in `first_at`/`last_at` and each member's `at` are on the
triage clock (gateway/triage/clock.py); `first_report_at`/`last_report_at` are the alerts' own.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from sqlite_utils import Database

from gateway.store import inserted_id
from gateway.store.alerts import AlertRow
from gateway.store.crypto import sealer_of

OPEN_STATES = ("open", "seen", "responding")
STATES = (*OPEN_STATES, "closed", "false_alarm", "merged")
SEVERITY_ORDER = ("Extreme", "Severe", "Moderate", "Minor", "Unknown")
URGENCY_ORDER = ("Immediate", "Expected", "Future", "Unknown")


@dataclass(frozen=True)
class IncidentRow:
    id: int
    uid: str
    ref: str
    state: str
    level: str
    category: str | None
    categories: tuple[str, ...]
    severity: str
    urgency: str
    villages: tuple[tuple[int, str | None], ...]
    zone: str | None
    first_at: float
    last_at: float
    first_report_at: float | None
    last_report_at: float | None
    reports: int
    repeats: int
    throttled: int
    senders: int
    registered_senders: int
    channels: tuple[str, ...]
    operator_confirmed: bool
    by_hand: bool
    merged_into: int | None
    version: int
    created_at: float
    updated_at: float
    queued: dict[str, int]

    @property
    def is_open(self) -> bool:
        return self.state in OPEN_STATES

    def counts(self) -> dict[str, int]:
        """The measures the corroboration rule reads."""
        return {"reports": self.reports, "senders": self.senders,
                "registered_senders": self.registered_senders,
                "unverified_senders": self.senders - self.registered_senders,
                "channels": len(self.channels)}


COLUMNS = ("id, uid, ref, state, level, category, categories, severity, urgency, villages, zone,"
           " first_at, last_at, first_report_at, last_report_at, reports, repeats, throttled,"
           " senders, registered_senders, channels, operator_confirmed, by_hand, merged_into,"
           " version, created_at, updated_at, queued")
_OPEN = "state IN ('open', 'seen', 'responding')"  # literal: the partial index's condition


def _row(row: tuple | None) -> IncidentRow | None:
    return _opened(row) if row is not None else None


def _opened(row: tuple) -> IncidentRow:
    values = list(row)
    values[6] = tuple(json.loads(values[6]))
    values[9] = tuple((number, name) for number, name in json.loads(values[9]))
    values[20] = tuple(json.loads(values[20]))
    values[21], values[22] = bool(values[21]), bool(values[22])
    values[27] = json.loads(values[27])
    return IncidentRow(*values)


def insert(db: Database, base_prefix: str, state: str, at: float, now: float,
           severity: str = "Unknown", urgency: str = "Unknown", category: str | None = None,
           zone: str | None = None) -> int:
    """A new incident (its id, uid `KWJ-71b6-I12` and ref `KWJ-I0012` follow the row's id);
    `base_prefix` is the alerts' uid prefix, `KWJ-71b6`."""
    cursor = db.execute(
        "INSERT INTO incidents (uid, ref, state, category, categories, severity, urgency, zone,"
        " first_at, last_at, created_at, updated_at) VALUES ('', '', ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
        [state, category, json.dumps([category] if category else []), severity, urgency, zone,
         at, at, now, now])
    incident_id = inserted_id(cursor)
    base = base_prefix.split("-")[0]
    db.execute("UPDATE incidents SET uid = ?, ref = ? WHERE id = ?",
               [f"{base_prefix}-I{incident_id}", f"{base}-I{incident_id:04d}", incident_id])
    return incident_id


def get(db: Database, incident_id: int) -> IncidentRow | None:
    return _row(db.execute(f"SELECT {COLUMNS} FROM incidents WHERE id = ?",
                           [incident_id]).fetchone())


def by_ref(db: Database, ref: str) -> IncidentRow | None:
    """An incident by its ref (`KWJ-I0012`), stable id (`KWJ-71b6-I12`) or number (`12`)."""
    number = ref.strip().rsplit("-", 1)[-1].upper().removeprefix("I")
    if not number.isdigit():
        return None
    found = get(db, int(number))
    if found is None or not (ref.strip().isdigit() or ref.strip().upper() in
                             (found.ref.upper(), found.uid.upper(), f"I{found.id}")):
        return None
    return found


def open_near(db: Database, villages: Iterable[int], since: float, until: float) -> list[IncidentRow]:
    """Open incidents at any of `villages` whose reports span reaches [since, until], oldest
    first."""
    wanted = list(villages)
    if not wanted:
        return []
    marks = ", ".join("?" * len(wanted))
    rows = db.execute(
        f"SELECT {COLUMNS} FROM incidents WHERE id IN (SELECT incident_id FROM incident_villages"
        f" WHERE village IN ({marks})) AND {_OPEN} AND last_at >= ? AND first_at <= ? ORDER BY id",
        [*wanted, since, until]).fetchall()
    return [_opened(row) for row in rows]


def listing(db: Database, states: Sequence[str] = OPEN_STATES, limit: int = 100,
            village: int | None = None, zone: str | None = None,
            before: tuple[float, int] | None = None) -> list[IncidentRow]:
    """Incidents in `states` (at `village`, or at a village of `zone`), most recently reported
    first; `before`: the (last_at, id) that ended the previous page."""
    clauses = [f"state IN ({', '.join('?' * len(states))})"]
    params: list[object] = [*states]
    if village is not None:
        clauses.append("id IN (SELECT incident_id FROM incident_villages WHERE village = ?)")
        params.append(village)
    if zone is not None:
        clauses.append("id IN (SELECT incident_id FROM incident_villages WHERE village IN"
                       " (SELECT number FROM villages WHERE zone = ?))")
        params.append(zone)
    if before is not None:
        clauses.append("(last_at < ? OR (last_at = ? AND id < ?))")
        params += [before[0], before[0], before[1]]
    rows = db.execute(f"SELECT {COLUMNS} FROM incidents WHERE {' AND '.join(clauses)}"
                      " ORDER BY last_at DESC, id DESC LIMIT ?", [*params, limit]).fetchall()
    return [_opened(row) for row in rows]


def open_by_village(db: Database) -> dict[int, dict[str, int]]:
    """For each village, how many open incidents of each severity it has."""
    found: dict[int, dict[str, int]] = {}
    # the open ones by their partial index, their villages from the row: not a pass over every
    # incident the base ever had, as a join from incident_villages would be
    for village, severity, count in db.execute(
            f"SELECT json_extract(v.value, '$[0]'), i.severity, COUNT(*) FROM incidents i"
            f" INDEXED BY incidents_open, json_each(i.villages) v WHERE i.{_OPEN}"
            f" GROUP BY 1, 2"):
        found.setdefault(village, {})[severity] = count
    return found


def refs_of(db: Database, alert_ids: Sequence[int]) -> dict[int, str]:
    """The reference of each alert's incident, by alert id."""
    if not alert_ids:
        return {}
    marks = ", ".join("?" * len(alert_ids))
    return dict(db.execute(f"SELECT m.alert_id, i.ref FROM incident_alerts m JOIN incidents i"
                           f" ON i.id = m.incident_id WHERE m.alert_id IN ({marks})",
                           list(alert_ids)).fetchall())


def changed_since(db: Database, since: float | None = None) -> list[IncidentRow]:
    """Incidents whose latest version was made at or after `since` (None: all), oldest change
    first."""
    rows = db.execute(f"SELECT {COLUMNS} FROM incidents WHERE updated_at >= ?"
                      " ORDER BY updated_at, id", [since or 0.0]).fetchall()
    return [_opened(row) for row in rows]


def attach(db: Database, alert_id: int, incident_id: int, at: float, sender: str | None,
           throttled: bool) -> None:
    db.execute("INSERT INTO incident_alerts (alert_id, incident_id, at, sender, throttled)"
               " VALUES (?, ?, ?, ?, ?)", [alert_id, incident_id, at, sender, int(throttled)])


def move(db: Database, alert_ids: Iterable[int], incident_id: int) -> None:
    ids = list(alert_ids)
    marks = ", ".join("?" * len(ids))
    db.execute(f"UPDATE incident_alerts SET incident_id = ? WHERE alert_id IN ({marks})",
               [incident_id, *ids])


def membership(db: Database, alert_id: int) -> tuple[str, bool] | None:
    """(incident uid, throttled) of an alert, for its payload."""
    row = db.execute("SELECT i.uid, m.throttled FROM incident_alerts m JOIN incidents i"
                     " ON i.id = m.incident_id WHERE m.alert_id = ?", [alert_id]).fetchone()
    return (row[0], bool(row[1])) if row else None


def membership_id(db: Database, alert_id: int) -> int | None:
    row = db.execute("SELECT incident_id FROM incident_alerts WHERE alert_id = ?",
                     [alert_id]).fetchone()
    return row[0] if row else None


def member_ids(db: Database, incident_id: int) -> list[int]:
    return [row[0] for row in db.execute(
        "SELECT alert_id FROM incident_alerts WHERE incident_id = ? ORDER BY alert_id",
        [incident_id])]


def member_uids(db: Database, incident_id: int) -> list[str]:
    return [row[0] for row in db.execute(
        "SELECT a.uid FROM incident_alerts m JOIN alerts a ON a.id = m.alert_id"
        " WHERE m.incident_id = ? ORDER BY m.alert_id", [incident_id])]


def member_codes(db: Database, incident_id: int) -> list[str | None]:
    """The distinct codes of an incident's reports (None: a report without a code)."""
    return [row[0] for row in db.execute(
        "SELECT DISTINCT a.code FROM incident_alerts m JOIN alerts a ON a.id = m.alert_id"
        " WHERE m.incident_id = ? ORDER BY a.code IS NULL, CAST(a.code AS INTEGER), a.code",
        [incident_id])]


@dataclass(frozen=True)
class Reporter:
    """One sender of an incident's reports, as the corroboration counts them."""

    person: str | None  # the sender's pseudonym (None: typed by an operator)
    sender: str | None  # their number or callsign, opened: to find their name, never to show
    registered: bool
    reports: int
    channels: tuple[str, ...]


def reporters(db: Database, incident_id: int, limit: int | None = None) -> list[Reporter]:
    """Who reported an incident, the first to report first (the first `limit` of them)."""
    sealer = sealer_of(db)
    rows = db.execute(
        "SELECT m.sender, MIN(a.sender), MAX(a.registered), COUNT(*),"
        " json_group_array(DISTINCT a.channel), MIN(a.id) AS first FROM incident_alerts m"
        " JOIN alerts a ON a.id = m.alert_id WHERE m.incident_id = ? GROUP BY m.sender"
        " ORDER BY first LIMIT ?", [incident_id, -1 if limit is None else limit]).fetchall()
    return [Reporter(person, sealer.unseal(sender), bool(registered), count,
                     tuple(sorted(json.loads(channels))))
            for person, sender, registered, count, channels, _ in rows]


def refresh(db: Database, incident_id: int) -> None:
    """Work out an incident's counts, times, places and worst severity again from its alerts."""
    row = db.execute(
        "SELECT COUNT(*), COUNT(DISTINCT m.sender),"
        " COUNT(DISTINCT CASE WHEN a.registered THEN m.sender END), SUM(m.throttled),"
        " SUM(a.repeats - 1), MIN(m.at), MAX(m.at), MIN(a.received_at), MAX(a.received_at),"
        " json_group_array(DISTINCT a.channel), MIN(" + _rank("a.severity", SEVERITY_ORDER) +
        "), MIN(" + _rank("a.urgency", URGENCY_ORDER) + ")"
        " FROM incident_alerts m JOIN alerts a ON a.id = m.alert_id WHERE m.incident_id = ?",
        [incident_id]).fetchone()
    if not row[0]:
        return
    categories = [r[0] for r in db.execute(
        "SELECT a.category FROM incident_alerts m JOIN alerts a ON a.id = m.alert_id"
        " WHERE m.incident_id = ? AND a.category IS NOT NULL GROUP BY a.category"
        " ORDER BY MIN(m.alert_id)", [incident_id])]
    worst = db.execute(  # the category of the first of its most severe reports
        "SELECT a.category FROM incident_alerts m JOIN alerts a ON a.id = m.alert_id"
        " WHERE m.incident_id = ? ORDER BY " + _rank("a.severity", SEVERITY_ORDER) +
        ", m.alert_id LIMIT 1", [incident_id]).fetchone()
    # each village under the name its first report gave it (SQLite takes the bare column from
    # the row MIN() chose)
    villages = [(number, name) for number, name, _ in db.execute(
        "SELECT a.village_number, a.village_name, MIN(m.alert_id) AS first FROM incident_alerts m"
        " JOIN alerts a ON a.id = m.alert_id WHERE m.incident_id = ? AND a.village_number IS NOT"
        " NULL GROUP BY a.village_number ORDER BY first", [incident_id])]
    db.execute(
        "UPDATE incidents SET reports = ?, senders = ?, registered_senders = ?, throttled = ?,"
        " repeats = ?, first_at = ?, last_at = ?, first_report_at = ?, last_report_at = ?,"
        " channels = ?, severity = ?, urgency = ?, category = ?, categories = ?, villages = ?"
        " WHERE id = ?",
        [row[0], row[1], row[2], row[3], row[4], row[5], row[6], row[7], row[8],
         json.dumps(sorted(json.loads(row[9]))), SEVERITY_ORDER[row[10]], URGENCY_ORDER[row[11]],
         worst[0], json.dumps(categories),
         json.dumps([list(v) for v in villages]), incident_id])
    set_villages(db, incident_id, [number for number, _ in villages])


def add_report(db: Database, incident: IncidentRow, alert: AlertRow, sender: str | None,
               throttled: bool, at: float) -> None:
    """Count one more report (already attached) in `incident` without reading its others again:
    what `refresh` would work out, at the cost of two indexed look-ups, so a flood's thousandth
    report costs what its first did."""
    def heard_before(registered_only: bool) -> bool:
        return db.execute(
            "SELECT 1 FROM incident_alerts m JOIN alerts a ON a.id = m.alert_id"
            " WHERE m.incident_id = ? AND m.sender = ? AND m.alert_id != ?"
            + (" AND a.registered" if registered_only else "") + " LIMIT 1",
            [incident.id, sender, alert.id]).fetchone() is not None

    new_sender = sender is not None and not heard_before(False)
    new_registered = sender is not None and alert.registered and not heard_before(True)
    worse = SEVERITY_ORDER.index(alert.severity) < SEVERITY_ORDER.index(incident.severity)
    categories = list(incident.categories)
    if alert.category is not None and alert.category not in categories:
        categories.append(alert.category)
    villages = [list(v) for v in incident.villages]
    if alert.village_number is not None and \
            alert.village_number not in {number for number, _ in incident.villages}:
        villages.append([alert.village_number, alert.village_name])
        db.execute("INSERT OR IGNORE INTO incident_villages (village, incident_id) VALUES (?, ?)",
                   [alert.village_number, incident.id])
    update(db, incident.id, reports=incident.reports + 1,
           senders=incident.senders + new_sender,
           registered_senders=incident.registered_senders + new_registered,
           throttled=incident.throttled + throttled, repeats=incident.repeats + alert.repeats - 1,
           first_at=min(incident.first_at, at), last_at=max(incident.last_at, at),
           first_report_at=min(incident.first_report_at or alert.received_at, alert.received_at),
           last_report_at=max(incident.last_report_at or alert.received_at, alert.received_at),
           channels=json.dumps(sorted({*incident.channels, alert.channel})),
           severity=alert.severity if worse else incident.severity,
           urgency=min(incident.urgency, alert.urgency, key=URGENCY_ORDER.index),
           category=alert.category if worse else incident.category,
           categories=json.dumps(categories), villages=json.dumps(villages))


def set_villages(db: Database, incident_id: int, numbers: Iterable[int]) -> None:
    """The index of an incident's villages (what a new report's place is looked up in);
    written only where it changes."""
    wanted = set(numbers)
    present = {row[0] for row in db.execute(
        "SELECT village FROM incident_villages WHERE incident_id = ?", [incident_id])}
    for number in present - wanted:
        db.execute("DELETE FROM incident_villages WHERE village = ? AND incident_id = ?",
                   [number, incident_id])
    for number in wanted - present:
        db.execute("INSERT INTO incident_villages (village, incident_id) VALUES (?, ?)",
                   [number, incident_id])


def _rank(column: str, order: Sequence[str]) -> str:
    cases = " ".join(f"WHEN '{value}' THEN {index}" for index, value in enumerate(order))
    return f"CASE {column} {cases} ELSE {len(order) - 1} END"


def update(db: Database, incident_id: int, **values: object) -> None:
    names = ", ".join(f"{name} = ?" for name in values)
    db.execute(f"UPDATE incidents SET {names} WHERE id = ?", [*values.values(), incident_id])


def bump(db: Database, incident_id: int, now: float, level: str) -> int:
    """A new version of an incident (its level worked out again); the version number."""
    db.execute("UPDATE incidents SET version = version + 1, updated_at = ?, level = ?"
               " WHERE id = ?", [now, level, incident_id])
    return int(db.execute("SELECT version FROM incidents WHERE id = ?",
                          [incident_id]).fetchone()[0])


def record_version(db: Database, incident_id: int, version: int, at: float) -> None:
    """When `version` was made: the `sent` of its CAP message, which later ones reference."""
    db.execute("INSERT OR REPLACE INTO incident_versions (incident_id, version, at)"
               " VALUES (?, ?, ?)", [incident_id, version, at])


def versions(db: Database, incident_id: int) -> list[tuple[int, float]]:
    """(version, when it was made) of every version kept, oldest first."""
    return [(row[0], row[1]) for row in db.execute(
        "SELECT version, at FROM incident_versions WHERE incident_id = ? ORDER BY version",
        [incident_id])]


def merged_from(db: Database, incident_id: int) -> list[IncidentRow]:
    """The incidents merged into this one."""
    rows = db.execute(f"SELECT {COLUMNS} FROM incidents WHERE merged_into = ? ORDER BY id",
                      [incident_id]).fetchall()
    return [_opened(row) for row in rows]


@dataclass(frozen=True)
class Change:
    version: int
    at: float
    by: str
    action: str
    from_state: str | None
    to_state: str
    note: str


def record_change(db: Database, incident_id: int, change: Change) -> None:
    db.execute("INSERT INTO incident_changes (incident_id, version, at, by, action, from_state,"
               " to_state, note) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
               [incident_id, change.version, change.at, change.by, change.action,
                change.from_state, change.to_state, change.note])


def changes(db: Database, incident_id: int) -> list[Change]:
    rows = db.execute("SELECT version, at, by, action, from_state, to_state, note FROM"
                      " incident_changes WHERE incident_id = ? ORDER BY id", [incident_id])
    return [Change(*row) for row in rows]


def last_change(db: Database, incident_id: int) -> Change | None:
    row = db.execute("SELECT version, at, by, action, from_state, to_state, note FROM"
                     " incident_changes WHERE incident_id = ? ORDER BY id DESC LIMIT 1",
                     [incident_id]).fetchone()
    return Change(*row) if row else None


def shift_times(db: Database, first: int, before: int, delta: float) -> int:
    """Move the triage times of alerts `first` ... `before` - 1 by `delta` seconds, and the
    spans of their incidents with them (the clock they were stamped by was wrong); how many
    moved."""
    span = "alert_id >= ? AND alert_id < ?"
    moved = db.execute(f"UPDATE incident_alerts SET at = at + ? WHERE {span}",
                       [delta, first, before]).rowcount
    db.execute("UPDATE incidents SET first_at = (SELECT MIN(at) FROM incident_alerts m"
               " WHERE m.incident_id = incidents.id), last_at = (SELECT MAX(at) FROM"
               f" incident_alerts m WHERE m.incident_id = incidents.id) WHERE id IN"
               f" (SELECT incident_id FROM incident_alerts WHERE {span})", [first, before])
    return moved
