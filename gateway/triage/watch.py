"""The silence watch: who missed a check-in, and since when.

A focal point or a village with a check-in schedule (its own in the registry, else its
village's, its zone's or the HF network's in `[triage] checkin`) is expected to be heard from in
each slot; any message from them counts (code 9, "all calm", is the explicit one), and so does
any alert placed at a village. A slot is judged `checkin_grace` seconds after it ends, on the
base's wall clock in its time zone (the watch's clock, `now`, is given by the caller: the worker
passes time.time(), tests a controllable one). A missed check-in opens a silence: an event on
the MQTT events topic, a line in `cangw status` and `cangw network silent`, the panel's silence
light; never the buzzer. When `silence_villages` villages of one zone are silent within one
window, that is an incident of category `silence` (a cut network, an attack on a valley).
"""

from __future__ import annotations

import json
import logging
from collections.abc import Callable
from dataclasses import dataclass

from sqlite_utils import Database

from gateway.alerts.codes import PRIORITY
from gateway.alerts.payload import SCHEMA_VERSION
from gateway.config import Config
from gateway.repeats import Repeats
from gateway.store import Store, outbox, silences
from gateway.store import incidents as incident_store
from gateway.store import network as network_store
from gateway.store import registry as reg
from gateway.store.silences import FOCAL, VILLAGE, SilenceRow
from gateway.timeutil import iso_utc, local_zone
from gateway.triage import schedules
from gateway.triage.incidents import TRIAGE, Incidents

log = logging.getLogger(__name__)

WATCH_SINCE = "silence_watch_since"
CATEGORY = "silence"
EVENT_PRIORITY = PRIORITY["Moderate"]


@dataclass(frozen=True)
class Subject:
    """Someone expected to check in."""

    kind: str
    id: int
    village: int | None
    zone: str | None
    schedule: schedules.Schedule
    since: float  # slots before this are not judged (registered later)


def heard_from(db: Database, sender: str | None, village: int | None,
               at: float) -> list[SilenceRow]:
    """Note who was heard (the sender, their village, the village a report names); the
    silences this ends."""
    subjects = set()
    identity = reg.focal_identity(db, sender) if sender else None
    if identity is not None:
        subjects.add((FOCAL, identity[0]))
        if identity[1] is not None:
            subjects.add((VILLAGE, identity[1]))
    if village is not None:
        subjects.add((VILLAGE, village))
    ended = []
    for kind, subject in sorted(subjects):
        silences.heard(db, kind, subject, at)
        ended += silences.end(db, kind, subject, at)
    return ended


class SilenceWatch:
    def __init__(self, store: Store, config: Config, redact: Callable[[str], str] = str,
                 incidents: Incidents | None = None):
        self.store = store
        self.config = config
        self.settings = config.triage
        self.zone = local_zone(config.base.timezone)
        self.pseudonymise = store.pseudonymiser()
        self.incidents = incidents or Incidents(store, config, redact)
        self._unknown = Repeats()

    def subjects(self, db: Database) -> list[Subject]:
        """Everyone with a schedule, by the nearest one that applies."""
        settings = self.settings.checkin
        found = []
        for point in network_store.focal_schedules(db):
            text = point.checkin or (settings.get("hf") if point.callsign else None)
            schedule = self._schedule(text, f"focal point {point.id}")
            if schedule is not None:
                found.append(Subject(FOCAL, point.id, point.village, point.zone, schedule,
                                     point.added_at))
        for village in network_store.village_schedules(db):
            text = village.checkin or settings.get(f"village:{village.number}") or \
                (settings.get(f"zone:{village.zone}") if village.zone else None)
            schedule = self._schedule(text, f"village {village.number}")
            if schedule is not None:
                found.append(Subject(VILLAGE, village.number, village.number, village.zone,
                                     schedule, 0.0))
        return found

    def _schedule(self, text: str | None, whose: str) -> schedules.Schedule | None:
        """A registry's schedule, or None (with a warning once) when it names a schedule the
        configuration no longer has."""
        if not text:
            return None
        try:
            return schedules.resolve(text, self.settings.schedules)
        except ValueError as exc:
            if self._unknown.due(whose):
                log.warning("silence watch: %s: %s; add it to [triage.schedules]", whose, exc)
            return None

    def check(self, now: float) -> list[SilenceRow]:
        """Record the check-ins missed by `now`; the silences that start."""
        started = []
        with self.store.transaction() as db:
            since = float(self.store.meta(WATCH_SINCE) or now)
            if self.store.meta(WATCH_SINCE) is None:
                self.store.set_meta(WATCH_SINCE, repr(now))
            heard = {FOCAL: silences.last_heard(db, FOCAL),
                     VILLAGE: silences.last_heard(db, VILLAGE)}
            for subject in self.subjects(db):
                slot = subject.schedule.latest_ended(now - self.settings.checkin_grace, self.zone)
                last = heard[subject.kind].get(subject.id)
                if slot.start < max(since, subject.since) or (last is not None and last >= slot.start):
                    continue
                silence = silences.start(db, subject.kind, subject.id, subject.village,
                                         subject.zone, slot.end, last, now)
                if silence is not None:
                    started.append(silence)
                    self.publish(db, silence, now)
            for zone in sorted({s.zone for s in started if s.zone}):
                self._zone_incident(db, zone, now)
        for silence in started:
            log.info("silence: %s %s missed its check-in due %s", silence.kind,
                     self._label(silence), iso_utc(silence.due_at))
        return started

    def heard(self, db: Database, sender: str | None, village: int | None, at: float,
              now: float) -> None:
        """Someone was heard: silences they were in end, and headquarters is told."""
        for silence in heard_from(db, sender, village, at):
            self.publish(db, silence, now)

    def _zone_incident(self, db: Database, zone: str, now: float) -> None:
        """Several villages of `zone` silent within one window are an incident."""
        window = self.settings.window(CATEGORY)
        silent = [s for s in silences.open_silences(db) if s.zone == zone and s.village is not None]
        latest = max(s.due_at for s in silent)
        together = [s for s in silent if latest - s.due_at <= window]
        villages = sorted({s.village for s in together if s.village is not None})
        if len(villages) < self.settings.silence_villages:
            return
        incident_id = next((s.incident_id for s in together if s.incident_id is not None
                            and (found := incident_store.get(db, s.incident_id)) is not None
                            and found.is_open), None)
        action = "silence"
        if incident_id is None:
            incident_id = incident_store.insert(db, self.incidents.prefix, "open",
                                                min(s.due_at for s in together), now,
                                                self.settings.silence_severity, "Immediate",
                                                CATEGORY, zone)
            action = "opened"
        names = dict(db.execute("SELECT number, name FROM villages").fetchall())
        incident_store.update(db, incident_id, villages=json.dumps(
            [[number, names.get(number)] for number in villages]),
            first_at=min(s.due_at for s in together), last_at=latest,
            first_report_at=min(s.due_at for s in together), last_report_at=latest)
        silences.link(db, [s.id for s in together], incident_id)
        self.incidents.changed(db, incident_id, now, action, TRIAGE, None,
                               f"{len(villages)} villages of {zone} silent")

    # -- events -------------------------------------------------------------------------------
    def publish(self, db: Database, silence: SilenceRow, now: float) -> None:
        """The `silence` event on {topic_prefix}/{base}/events (README, "Silence event")."""
        if self.config.mqtt is None:
            return
        event = silence_event(db, silence, self.config.base.id, self.pseudonymise)
        outbox.enqueue(db, "mqtt", EVENT_PRIORITY, now,
                       body=json.dumps(event, ensure_ascii=False, separators=(",", ":")))

    def _label(self, silence: SilenceRow) -> str:
        return f"village {silence.subject}" if silence.kind == VILLAGE else \
            f"focal point {silence.subject}"


def silence_event(db: Database, silence: SilenceRow, base_id: str,
                  pseudonymise: Callable[[str | None], str | None]) -> dict:
    """What headquarters is told of a silence starting or ending: a pseudonym, never a name."""
    identity = network_store.focal_identity_of(db, silence.subject) \
        if silence.kind == FOCAL else None
    names = dict(db.execute("SELECT number, name FROM villages WHERE number = ?",
                            [silence.village]).fetchall()) if silence.village is not None else {}
    incident = incident_store.get(db, silence.incident_id) if silence.incident_id else None
    return {"schema": SCHEMA_VERSION, "event": "silence", "base": base_id,
            "state": "overdue" if silence.ended_at is None else "heard",
            "subject": "village" if silence.kind == VILLAGE else "focal_point",
            "focal_point": pseudonymise(identity) if identity else None,
            "village": {"number": silence.village, "name": names.get(silence.village)}
            if silence.village is not None else None,
            "zone": silence.zone, "due_at": iso_utc(silence.due_at),
            "last_heard_at": iso_utc(silence.last_heard_at),
            "heard_at": iso_utc(silence.ended_at), "incident": incident.uid if incident else None}
