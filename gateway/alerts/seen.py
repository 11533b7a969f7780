"""Marking alerts as seen by the base: the record, the event for headquarters, and optionally a
second SMS to the sender.

The duty officer's button press (or `cangw alerts seen`) is news for headquarters ("the base
knows") and for the focal point ("someone read it"), so it leaves the same durable way as an
alert: outbox rows written in the transaction that records it.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Callable, Sequence

from sqlite_utils import Database

from gateway import features
from gateway.alerts.payload import SCHEMA_VERSION
from gateway.alerts.pipeline import PRIORITY
from gateway.alerts.text import to_gsm7
from gateway.config import Config
from gateway.store import Store, outbox
from gateway.store import seen as seen_store
from gateway.store.alerts import AlertRow
from gateway.timeutil import iso_utc

log = logging.getLogger(__name__)

SEEN_TEMPLATES = {
    "fr": "{ref} Votre alerte a ete lue par la base. Merci.",
    "sw": "{ref} Taarifa yako imesomwa na kituo. Asante.",
    "en": "{ref} Your alert has been read by the base. Thank you.",
}
EVENT_PRIORITY = PRIORITY["Moderate"]  # after new alerts, before routine traffic
SECOND_ACK_PRIORITY = PRIORITY["Minor"]


def seen_text(ref: str, language: str) -> str:
    """The second acknowledgement, in GSM-7 and one SMS long (tested for every language)."""
    return to_gsm7(SEEN_TEMPLATES.get(language, SEEN_TEMPLATES["en"]).format(ref=ref))


def seen_event(alert: AlertRow, base_id: str, seen_at: float, via: str) -> dict:
    """The MQTT event on {topic_prefix}/{base}/events (documented in the README)."""
    return {"schema": SCHEMA_VERSION, "event": "seen", "base": base_id, "id": alert.uid,
            "ref": alert.ref, "severity": alert.severity, "seen_at": iso_utc(seen_at), "via": via}


class SeenMarker:
    def __init__(self, store: Store, config: Config,
                 notify: Callable[[str], None] = lambda destination: None):
        self.store = store
        self.config = config
        self.notify = notify
        self.second_ack = bool(config.panel and config.panel.seen_ack)

    def mark(self, alerts: Sequence[AlertRow], via: str, now: float) -> list[AlertRow]:
        """Record the alerts as seen; returns those that were not seen before."""
        by_id = {alert.id: alert for alert in alerts}
        with self.store.transaction() as db:
            newly = [by_id[i] for i in seen_store.mark(db, by_id, via, now)]
            for alert in newly:
                self._enqueue(db, alert, via, now)
        if newly:
            log.info("seen by the base (%s): %s", via, ", ".join(a.ref for a in newly))
            self.notify("mqtt")
            self.notify("sms")
        return newly

    def _enqueue(self, db: Database, alert: AlertRow, via: str, now: float) -> None:
        if self.config.mqtt is not None:
            event = seen_event(alert, self.config.base.id, now, via)
            outbox.enqueue(db, "mqtt", EVENT_PRIORITY, now, alert.id,
                           body=json.dumps(event, separators=(",", ":")))
        route = features.ack_routes(self.config).get(alert.channel)
        if self.second_ack and route and route.can_reply(alert.sender):
            outbox.enqueue(db, route.destination, SECOND_ACK_PRIORITY, now, alert.id, alert.sender,
                           route.adapt(seen_text(alert.ref, alert.language)))
