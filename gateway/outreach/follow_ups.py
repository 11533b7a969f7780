"""Follow-ups: when the base acts on an incident (`cangw incident respond|close|false-alarm`, or
`cangw alerts respond REF`), the people who reported it are told, in their language, with the
reference they were given ("KWJ-0193: une patrouille est en route vers Kamango.").

The outreach worker reads the changes the incident work records (`incident_changes`) after the
last one it read (a cursor in `meta`; a base that just gained follow-ups starts from now, not
from its history). Each action is off until `[outreach] follow_ups` names it. Once per change
and person (the latest report a person made gives the reference); never more than
`follow_ups_per_day` to one person in the base's day, and not over the daily SMS budget: a
follow-up not sent is kept as `skipped` with the reason. SMS senders get an SMS (with a status
report asked), HF senders a frame by radio.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass

from sqlite_utils import Database

from gateway.alerts.phone import can_reply
from gateway.alerts.pseudonym import Pseudonymiser
from gateway.alerts.text import to_ascii, to_gsm7
from gateway.config import Config
from gateway.gsm.sms_pdu import message_shape
from gateway.hf.callsign import is_station
from gateway.outreach.compose import FOLLOW_UP_PRIORITY
from gateway.outreach.config import outreach_settings
from gateway.outreach.templates import Book
from gateway.store import deliveries, outbox
from gateway.store import follow_ups as follow_store
from gateway.store import incidents as incident_store
from gateway.store.crypto import sealer_of
from gateway.store.incidents import IncidentRow
from gateway.timeutil import day_start, local_zone

log = logging.getLogger(__name__)

CURSOR = "outreach_changes_read"
BATCH = 200


@dataclass(frozen=True)
class Planned:
    """One follow-up as it would go: to whom (the number only for the outbox), in which
    language, by which route, with which text."""

    alert_id: int
    ref: str  # the person's latest report in the incident
    sender: str
    person: str  # the sender's pseudonym
    channel: str
    language: str
    route: str | None  # sms, hf, or None: no way to reach this sender
    text: str
    parts: int


class FollowUps:
    def __init__(self, config: Config, book: Book, pseudonym: Pseudonymiser):
        self.config = config
        self.settings = outreach_settings(config)
        self.book = book
        self.pseudonym = pseudonym
        self.zone = local_zone(config.base.timezone)
        self.hf = config.hf is not None and config.hf.acknowledges

    def run(self, db: Database, now: float) -> int:
        """Inside a transaction: answer the incident changes recorded since the last look; how
        many follow-ups were queued."""
        cursor = _cursor(db)
        if cursor is None:
            _set_cursor(db, int(db.execute("SELECT COALESCE(MAX(id), 0) FROM incident_changes"
                                           ).fetchone()[0]))
            return 0
        changes = db.execute("SELECT id, incident_id, action FROM incident_changes WHERE id > ?"
                             " ORDER BY id LIMIT ?", [cursor, BATCH]).fetchall()
        queued = 0
        for change_id, incident_id, action in changes:
            if action in self.settings.follow_ups:
                queued += self._answer(db, change_id, incident_id, action, now)
        if changes:
            _set_cursor(db, changes[-1][0])
        return queued

    def _answer(self, db: Database, change_id: int, incident_id: int, action: str,
                now: float) -> int:
        incident = incident_store.get(db, incident_id)
        if incident is None:
            return 0
        since = day_start(now, self.zone)
        queued = 0
        for planned in self.plan(db, incident, action):
            if follow_store.exists(db, change_id, planned.person):
                continue
            reason = self._refusal(db, planned.route, planned.person, planned.parts, since)
            if reason is not None:
                follow_store.insert(db, change_id, planned.alert_id, planned.person, action,
                                    planned.route or planned.channel, None, planned.parts,
                                    follow_store.SKIPPED, now, reason)
                log.info("%s: no follow-up to %s (%s)", planned.ref, planned.person, reason)
                continue
            assert planned.route is not None
            row = outbox.enqueue(db, planned.route, FOLLOW_UP_PRIORITY, now,
                                 recipient=planned.sender, body=planned.text)
            follow_store.insert(db, change_id, planned.alert_id, planned.person, action,
                                planned.route, row, planned.parts, "queued", now)
            queued += 1
        if queued:
            log.info("%s %s: %d follow-up(s) queued to the people who reported it",
                     incident.ref, action, queued)
        return queued

    def plan(self, db: Database, incident: IncidentRow, action: str,
             limit: int | None = None) -> list[Planned]:
        """What `action` on `incident` sends to each person who reported it (their latest
        report gives the reference), and by which route (None: no way to reach them); the
        first `limit` people to report, for a page that shows a few of thousands."""
        place = next((name for _, name in incident.villages if name), None)
        latest = db.execute(  # each person's (pseudonym's) latest report, the first to report first
            "SELECT a.id, a.ref, a.sender, a.channel, a.language FROM alerts a JOIN ("
            " SELECT MAX(m.alert_id) AS latest, MIN(m.alert_id) AS first FROM incident_alerts m"
            " JOIN alerts s ON s.id = m.alert_id WHERE m.incident_id = ? AND s.sender IS NOT NULL"
            " GROUP BY m.sender) p ON a.id = p.latest ORDER BY p.first LIMIT ?",
            [incident.id, -1 if limit is None else limit]).fetchall()
        planned = []
        for alert_id, ref, sealed, channel, language in latest:
            sender = sealer_of(db).unseal(sealed) or ""
            route = self._route(channel, sender)
            text = self.book.follow_up(action, language, ref, place)
            text = to_ascii(text) if route == "hf" else to_gsm7(text)
            planned.append(Planned(alert_id, ref, sender, self.pseudonym(sender) or "", channel,
                                   language, route, text,
                                   message_shape(text)[1] if route == "sms" else 1))
        return planned

    def _route(self, channel: str, sender: str) -> str | None:
        if channel == "hf":
            return "hf" if self.hf and is_station(sender) else None
        return "sms" if self.config.gsm is not None and can_reply(sender) else None

    def _refusal(self, db: Database, route: str | None, person: str, parts: int,
                 since: float) -> str | None:
        if route is None:
            return "no way to reach this sender"
        if follow_store.sent_to(db, person, since) >= self.settings.follow_ups_per_day:
            return f"already {self.settings.follow_ups_per_day} follow-up(s) today"
        if route == "sms" and deliveries.sent_today(db, since) + deliveries.queued_parts(db) \
                + parts > self.settings.daily_sms_budget:
            return "the daily SMS budget is spent"
        return None


def _cursor(db: Database) -> int | None:
    row = db.execute("SELECT value FROM meta WHERE key = ?", [CURSOR]).fetchone()
    return int(row[0]) if row else None


def _set_cursor(db: Database, value: int) -> None:
    db.execute("INSERT INTO meta (key, value) VALUES (?, ?) ON CONFLICT(key) DO UPDATE SET"
               " value = excluded.value", [CURSOR, str(value)])
