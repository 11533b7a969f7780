"""What the pipeline asks of triage, in the transaction that stores each message: is it an
exact repeat, and for a new alert: which incident, throttled or not, acknowledged or not."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from sqlite_utils import Database

from gateway.config import Config
from gateway.store import Store
from gateway.store import incidents as incident_store
from gateway.store.alerts import AlertRow
from gateway.store.inbox import NewMessage
from gateway.triage.clock import CLOCK, TriageClock
from gateway.triage.flood import THROTTLED_PRIORITY, FloodControl
from gateway.triage.incidents import TRIAGE, Incidents
from gateway.triage.watch import SilenceWatch


@dataclass(frozen=True)
class Filing:
    """Where an alert went and what flood control decided for it."""

    incident_id: int
    throttled: bool = False
    acknowledge: bool = True

    def priority(self, usual: int) -> int:
        """The alert's place in the uplinks' queues: a throttled sender's go after the rest."""
        return THROTTLED_PRIORITY if self.throttled else usual


class Triage:
    def __init__(self, store: Store, config: Config, redact: Callable[[str], str] = str,
                 clock: TriageClock = CLOCK):
        self.pseudonymise = store.pseudonymiser()
        self.flood = FloodControl(config.triage, self.pseudonymise)
        self.incidents = Incidents(store, config, redact, clock)
        self.watch = SilenceWatch(store, config, redact, self.incidents)

    def file(self, db: Database, alert: AlertRow, now: float) -> Filing:
        """A just-stored alert: count its sender, put it in its incident, note who was heard."""
        sender = self.pseudonymise(alert.sender)
        throttled, acknowledge = self.flood.arrive(db, sender, alert.received_at)
        incident_id = self.incidents.group(db, alert, sender, throttled, now)
        self.watch.heard(db, alert.sender, alert.village_number, alert.received_at, now)
        return Filing(incident_id, throttled, acknowledge)

    def fold_repeat(self, db: Database, message: NewMessage, now: float) -> AlertRow | None:
        """Store `message` as an exact repeat of a recent alert, if it is one (the alert and
        its incident go out again with the count); that alert, else None."""
        original = self.flood.fold_repeat(db, message)
        if original is None:
            return None
        incident = incident_store.membership_id(db, original.id)
        if incident is not None:
            self.incidents.changed(db, incident, now, "repeat", TRIAGE, None, original.ref,
                                   record=False)
        self.incidents.republish_alerts(db, [original.id], now)
        self.watch.heard(db, message.sender, original.village_number, message.received_at, now)
        return original
