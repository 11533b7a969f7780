"""Every alert in exactly one incident, decided in the transaction that stores the alert; and
the duty officer's changes to incidents (seen, responding, closed, false alarm, confirmed,
merged, split), each kept with who, when, from, to and a note, and published.

The grouping rule (README, "Incidents"): an alert joins an open incident when the place matches
(the same village, or villages within `distance_km`), the categories are related (`related`),
and its time is within the window of both categories (the longer one) of a report of the
incident. An alert that matches several open incidents joins them into the oldest, so the
grouping of reports within a window does not depend on the order they came in (unless a person
split or merged one of them: then it joins the oldest and nothing is merged). An unparsed report
and an alert without a village open their own incident; a routine report (`routine`: a check-in,
a test) opens its own, already closed.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Sequence

from sqlite_utils import Database

from gateway.alerts.codes import PRIORITY, CodeBook, load_codebook
from gateway.alerts.registry_cache import RegistryCache
from gateway.config import Config
from gateway.store import Store, outbox
from gateway.store import alerts as alert_store
from gateway.store import incidents as incident_store
from gateway.store.alerts import AlertRow
from gateway.store.incidents import OPEN_STATES, Change, IncidentRow
from gateway.triage.clock import CLOCK, TriageClock
from gateway.triage.places import Places
from gateway.triage.publish import Publisher

log = logging.getLogger(__name__)

TRIAGE = "triage"  # who made the changes the gateway makes itself
# the duty officer's changes: action -> the state it leads to (None: the state stays)
ACTIONS = {"seen": "seen", "respond": "responding", "close": "closed",
           "false-alarm": "false_alarm", "reopen": "open", "confirm": None}
ALLOWED_FROM = {"seen": ("open",), "respond": ("open", "seen"),
                "close": OPEN_STATES, "false-alarm": OPEN_STATES,
                "reopen": ("closed", "false_alarm"), "confirm": OPEN_STATES}


class IncidentError(ValueError):
    """A change that cannot be made (unknown incident, a state it cannot go to from here)."""


class Incidents:
    """Grouping, merging and publishing incidents in an open transaction of `store`."""

    def __init__(self, store: Store, config: Config, redact: Callable[[str], str] = str,
                 clock: TriageClock = CLOCK):
        self.store = store
        self.config = config
        self.settings = config.triage
        self.places = Places(store, self.settings.distance_km)
        self.publisher = Publisher(config, redact, store)
        self.clock = clock
        clock.jump = self.settings.clock_jump

    @property
    def prefix(self) -> str:
        """What every id of this base and store starts with: `KWJ-71b6`."""
        return f"{self.config.base.id}-{self.store.instance}"

    # -- grouping -----------------------------------------------------------------------------
    def group(self, db: Database, alert: AlertRow, sender: str | None, throttled: bool,
              now: float) -> int:
        """Put a just-stored alert in its incident; the incident's id."""
        shift = self.clock.take(alert.id)
        if shift is not None and self.clock.first_alert is not None:
            incident_store.shift_times(db, self.clock.first_alert, alert.id, shift)
        at = alert.received_at
        matches = self._matches(db, alert, at)
        if not matches:
            routine = alert.category in self.settings.routine
            incident_id = incident_store.insert(
                db, self.prefix, "closed" if routine else "open", at, now,
                alert.severity, alert.urgency, alert.category)
            incident_store.attach(db, alert.id, incident_id, at, sender, throttled)
            self.changed(db, incident_id, now, "opened", TRIAGE, None,
                         "routine report" if routine else "")
            return incident_id
        target, others = matches[0], matches[1:]
        incident_store.attach(db, alert.id, target.id, at, sender, throttled)
        if others and not any(m.by_hand for m in matches):
            self._merge(db, target, others, TRIAGE, f"{alert.ref} links them", now)
        else:
            incident_store.add_report(db, target, alert, sender, throttled, at)
            self.changed(db, target.id, now, "report", TRIAGE, None, alert.ref, record=False,
                         counted=True)
        return target.id

    def _matches(self, db: Database, alert: AlertRow, at: float) -> list[IncidentRow]:
        """The open incidents `alert` may join, oldest first."""
        if alert.category is None or alert.category in self.settings.routine \
                or alert.village_number is None:
            return []
        related = self.settings.related_to(alert.category)
        widest = max(self.settings.window(c) for c in
                     (*self.settings.window_hours, alert.category))
        found = []
        for incident in incident_store.open_near(db, self.places.near(alert.village_number),
                                                 at - widest, at + widest):
            if not related & set(incident.categories) or incident.category is None:
                continue
            window = max(self.settings.window(c) for c in (*incident.categories, alert.category))
            if incident.first_at - window <= at <= incident.last_at + window:
                found.append(incident)
        return found

    # -- changes ------------------------------------------------------------------------------
    def changed(self, db: Database, incident_id: int, now: float, action: str, by: str,
                from_state: str | None, note: str = "", record: bool = True,
                counted: bool = False) -> None:
        """Work out the incident again (unless its new report was `counted` already), give it
        a new version, keep the change (unless it is only a new report) and publish it."""
        if not counted:
            incident_store.refresh(db, incident_id)
        incident = incident_store.get(db, incident_id)
        assert incident is not None
        level = self.settings.rule.level(incident.counts(), incident.operator_confirmed)
        version = 1 if action == "opened" else incident_store.bump(db, incident_id, now, level)
        if action == "opened":
            incident_store.update(db, incident_id, level=level)
        incident_store.record_version(db, incident_id, version, now)
        change = Change(version, now, by, action, from_state, incident.state, note)
        if record:
            incident_store.record_change(db, incident_id, change)
        self.publisher.publish(db, incident_id, change, now)

    def _merge(self, db: Database, target: IncidentRow, others: Sequence[IncidentRow], by: str,
               note: str, now: float) -> None:
        """Move the reports of `others` into `target`; each of them ends `merged` into it."""
        state = max((target, *others), key=lambda i: OPEN_STATES.index(i.state)
                    if i.state in OPEN_STATES else -1).state
        for other in others:
            members = incident_store.member_ids(db, other.id)
            if members:
                incident_store.move(db, members, target.id)
            incident_store.update(db, other.id, state="merged", merged_into=target.id)
            incident_store.set_villages(db, other.id, [])
            self.republish_alerts(db, members, now)
            self.changed(db, other.id, now, "merged", by, other.state,
                         f"into {target.ref}" + (f": {note}" if note else ""))
        confirmed = target.operator_confirmed or any(o.operator_confirmed for o in others)
        incident_store.update(db, target.id, state=state, operator_confirmed=int(confirmed),
                              by_hand=int(by != TRIAGE or target.by_hand))
        self.changed(db, target.id, now, "merged", by, target.state,
                     ", ".join(o.ref for o in others) + (f": {note}" if note else ""))

    def republish_alerts(self, db: Database, alert_ids: Sequence[int], now: float) -> None:
        """Alerts that changed (moved to another incident, a repeat counted) go out again over
        MQTT, once however often they change before they leave."""
        if self.config.mqtt is None:
            return
        for alert_id in alert_ids:
            alert = alert_store.get(db, alert_id)
            if alert is not None and not outbox.waiting(db, "mqtt", alert_id):
                outbox.enqueue(db, "mqtt", PRIORITY[alert.severity], now, alert_id)

    # -- the duty officer's changes -----------------------------------------------------------
    def change_state(self, incident_id: int, action: str, by: str, note: str,
                     now: float) -> IncidentRow:
        """seen, respond, close, false-alarm, reopen or confirm an incident."""
        if action not in ACTIONS:
            raise IncidentError(f"unknown change {action!r}; one of {', '.join(ACTIONS)}")
        with self.store.transaction() as db:
            incident = self._find(db, incident_id, by)
            if incident.state not in ALLOWED_FROM[action]:
                raise IncidentError(f"{incident.ref} is {incident.state}: it cannot be marked "
                                    f"{action} (only from {', '.join(ALLOWED_FROM[action])})")
            target = ACTIONS[action]
            if target is not None:
                incident_store.update(db, incident.id, state=target)
            if action == "confirm":
                incident_store.update(db, incident.id, operator_confirmed=1)
            self.changed(db, incident.id, now, action, by.strip(), incident.state, note.strip())
            found = incident_store.get(db, incident.id)
        assert found is not None
        return found

    def merge(self, into: int, others: Sequence[int], by: str, note: str,
              now: float) -> IncidentRow:
        """Merge incidents by hand into `into` (an unparsed report is attached this way)."""
        with self.store.transaction() as db:
            target = self._find(db, into, by)
            merged = [self._find(db, other, by) for other in others if other != into]
            for incident in (target, *merged):
                if not incident.is_open:
                    raise IncidentError(f"{incident.ref} is {incident.state}: only open "
                                        "incidents are merged (reopen it first)")
            if not merged:
                raise IncidentError("name at least one other incident to merge")
            self._merge(db, target, merged, by.strip(), note.strip(), now)
            found = incident_store.get(db, target.id)
        assert found is not None
        return found

    def split(self, incident_id: int, alert_refs: Sequence[str], by: str, note: str,
              now: float) -> IncidentRow:
        """Take some reports out of an incident into a new one (both are then kept apart from
        automatic merging); the new incident."""
        with self.store.transaction() as db:
            source = self._find(db, incident_id, by)
            members = set(incident_store.member_ids(db, source.id))
            moving = []
            for ref in alert_refs:
                alert = alert_store.by_ref(db, ref)
                if alert is None or alert.id not in members:
                    raise IncidentError(f"{ref} is not a report of {source.ref}")
                moving.append(alert)
            if not moving or len(moving) == len(members):
                raise IncidentError("a split leaves reports on both sides")
            first = min(moving, key=lambda a: a.id)
            new_id = incident_store.insert(db, self.prefix, source.state, first.received_at, now,
                                           first.severity, first.urgency, first.category)
            incident_store.move(db, [a.id for a in moving], new_id)
            incident_store.update(db, new_id, by_hand=1)
            incident_store.update(db, source.id, by_hand=1)
            self.republish_alerts(db, [a.id for a in moving], now)
            reason = f"split from {source.ref}" + (f": {note.strip()}" if note.strip() else "")
            self.changed(db, new_id, now, "opened", by.strip(), None, reason)
            self.changed(db, source.id, now, "split", by.strip(), source.state,
                         ", ".join(a.ref for a in moving) + (f": {note.strip()}"
                                                              if note.strip() else ""))
            found = incident_store.get(db, new_id)
        assert found is not None
        return found

    def _find(self, db: Database, incident_id: int, by: str) -> IncidentRow:
        if not by.strip():
            raise IncidentError("say who makes the change (--by)")
        incident = incident_store.get(db, incident_id)
        if incident is None:
            raise IncidentError(f"no incident {incident_id}")
        return incident


def by_hand(store: Store, config: Config, codebook: CodeBook | None = None) -> Incidents:
    """Incidents for a person's changes (the CLI's, the console's): the notes they write are
    published with focal points' names and numbers taken out, as the registry has them now."""
    if codebook is None:
        codebook = load_codebook(config.codes.file if config.codes else None)
    return Incidents(store, config, RegistryCache(store, codebook).redact)


def change_state(store: Store, config: Config, incident_id: int, action: str, by: str,
                 note: str = "", now: float | None = None) -> IncidentRow:
    """The duty officer's change to an incident (`seen`, `respond`, `close`, `false-alarm`,
    `reopen`, `confirm`), recorded with who, when, from, to and the note (published without
    focal points' names and numbers). IncidentError says why a change cannot be made."""
    return by_hand(store, config).change_state(incident_id, action, by, note,
                                               time.time() if now is None else now)
