"""What the satellite sends next, and when it tries again.

Next: a status reply headquarters asked for, else the alerts whose `fallback_after` has passed
without MQTT delivering them, most severe first, packed into one message with the incident
changes waiting the same way (each the incident's whole state) that still fit. Never more than the
day's credit budget (the base's calendar day): a message is cut to the credits left, and what
does not fit waits for the next day or for MQTT.

Again: Iridium's recommended back-off (RockBLOCK's "adaptive retry"): after a failed session,
twice within 0-5 s, twice within 0-30 s, then every 5 minutes; MO status 36 asks for 3 minutes
after the last registration.
"""

from __future__ import annotations

import datetime as dt
import json
import logging
import random
from collections.abc import Callable
from dataclasses import dataclass

from gateway import clock, features
from gateway.alerts.registry_cache import RegistryCache
from gateway.config import Config
from gateway.outreach.summary import satellite_summaries
from gateway.sbd.batch import MAX_ALERTS, SatAlert
from gateway.sbd.incident import SatIncident, to_sat_incident
from gateway.sbd.packed import encode_message
from gateway.sbd.packing import CREDIT_BYTES, credits, pack, to_sat_alert
from gateway.sbd.reply import StatusReply, encode_reply, links_text
from gateway.sbd.wire import MO_MAX
from gateway.store import Store, outbox
from gateway.store import alerts as alert_store
from gateway.store import links as link_status
from gateway.store import sbd as sbd_store
from gateway.timeutil import day_start, local_zone
from gateway.triage.publish import TOPIC as INCIDENTS

log = logging.getLogger(__name__)

Pseudonymiser = Callable[[str | None], str | None]
RETRY_STEPS = ((2, 5.0), (4, 30.0))  # (up to this many failures in a row, random delay up to)
RETRY_LONG = 300.0
REGISTRATION_WAIT = 180.0  # MO status 36
REGISTRATION_STATUS = 36


def retry_delay(failures: int, mo_status: int | None = None,
                chooser: random.Random | None = None) -> float:
    """Seconds before the next session after `failures` failed sessions in a row."""
    chooser = chooser or random.Random()
    delay = next((chooser.uniform(0, limit) for upto, limit in RETRY_STEPS if failures <= upto),
                 RETRY_LONG)
    return max(delay, REGISTRATION_WAIT) if mo_status == REGISTRATION_STATUS else delay


@dataclass(frozen=True)
class Outgoing:
    """One message to send and the outbox rows it settles."""

    kind: str  # "alerts" or "reply"
    data: bytes
    rows: tuple[int, ...]
    alerts: int = 0

    @property
    def credits(self) -> int:
        return credits(len(self.data))


class SatellitePolicy:
    def __init__(self, store: Store, config: Config, registry: RegistryCache, zone: dt.tzinfo):
        assert config.sbd is not None
        self.store = store
        self.config = config
        self.sbd = config.sbd
        self.registry = registry
        self.zone = zone

    def credits_used_today(self, now: float) -> int:
        return sbd_store.credits_since(self.store.db, day_start(now, self.zone))

    def credits_left(self, now: float) -> int:
        return max(0, self.sbd.daily_credit_budget - self.credits_used_today(now))

    def next_message(self, now: float, signal: int | None) -> Outgoing | None:
        """The next message within today's budget, or None (nothing due, or no credit left)."""
        db = self.store.db
        rows = outbox.due(db, sbd_store.DESTINATION, now, limit=MAX_ALERTS)
        if not rows:
            return None
        room = min(MO_MAX, self.credits_left(now) * CREDIT_BYTES)
        reply = next((row for row in rows if row.body is not None and row.recipient is None),
                     None)
        if reply is not None:
            data = self._status_reply(json.loads(reply.body or "{}"), now, signal)
            return Outgoing("reply", data, (reply.id,)) if len(data) <= room else None
        return self._alerts(rows, now, room)

    def _alerts(self, rows: list[outbox.OutboxRow], now: float, room: int) -> Outgoing | None:
        if room <= 0:
            return None
        db = self.store.db
        pseudonymise = self.store.pseudonymiser()
        candidates, row_of, changes, change_rows = [], {}, [], {}
        for row in rows:
            if row.recipient == INCIDENTS:  # an incident's state, as published over MQTT
                incident = to_sat_incident(json.loads(row.body or "{}"), self.store.instance)
                problem = self._cannot_carry([], [incident])
                if problem is None:
                    changes.append(incident)
                    change_rows[incident.number] = row.id
            else:
                alert = alert_store.get(db, row.alert_id) if row.alert_id else None
                sat = to_sat_alert(alert, pseudonymise, self.registry.redact) if alert else None
                problem = self._cannot_carry([sat], []) if sat else "alert missing"
                if sat is not None and problem is None:
                    candidates.append(sat)
                    row_of[sat.seq] = row.id
            if problem is not None:  # that one must not stop the rest
                log.warning("satellite: outbox row %d: %s; it will not go", row.id, problem)
                with self.store.transaction():
                    outbox.mark_attempt_failed(db, row.id, problem, now, 1)
        packed = pack(self.config.base.id, self.store.instance, candidates, room, changes) \
            if candidates or changes else None
        if packed is None:
            return None
        return Outgoing("alerts", packed.data, tuple(row_of[a.seq] for a in packed.alerts)
                        + tuple(change_rows[i.number] for i in packed.incidents),
                        len(packed.alerts))

    def _cannot_carry(self, alerts: list[SatAlert], incidents: list[SatIncident]) -> str | None:
        """Why the format cannot carry this alert or incident (a village numbered -1, a
        language it has no number for), or None."""
        try:
            encode_message(self.config.base.id, self.store.instance, alerts, incidents)
        except ValueError as exc:
            return f"cannot go by satellite: {exc}"
        return None

    def _status_reply(self, request: dict, now: float, signal: int | None) -> bytes:
        db = self.store.db
        links = links_text({name: str(info["state"])
                            for name, info in link_status.all_links(db).items()})
        last = alert_store.last_received_at(db)
        last_seq = db.execute("SELECT COALESCE(MAX(seq), 0) FROM alerts").fetchone()[0] \
            if last is not None else 0
        return encode_reply(StatusReply(
            base=self.config.base.id, instance=self.store.instance, time=int(now),
            counter=int(request.get("counter", 0)), signal=signal,
            credits_used_today=self.credits_used_today(now),
            daily_credit_budget=self.sbd.daily_credit_budget,
            waiting=sbd_store.waiting(db, now),
            undelivered=sbd_store.undelivered(db, features.primary_destinations()),
            last_seq=int(last_seq), links=links,
            broadcasts=satellite_summaries(db, now)))


def satellite_counts(store: Store, config: Config, now: float) -> dict:
    """Today's credits and the alerts waiting, from the store (right even without the daemon)."""
    assert config.sbd is not None
    return {"credits_used_today": sbd_store.credits_since(
                store.db, day_start(now, local_zone(config.base.timezone))),
            "daily_credit_budget": config.sbd.daily_credit_budget,
            "waiting": sbd_store.waiting(store.db, now)}


def queue_status_reply(store: Store, counter: int, now: float | None = None) -> int:
    """Queue the answer to a ping (first in line: headquarters is waiting for it)."""
    with store.transaction() as db:
        return outbox.enqueue(db, sbd_store.DESTINATION, 0, now or clock.now(),
                              body=json.dumps({"reply": "status", "counter": counter}))
