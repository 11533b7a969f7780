"""The worker that drains the MQTT outbox: publish with QoS 1, done only on PUBACK.

Delivery is at-least-once: a row published but not acknowledged before a disconnect or a
restart is published again, with the same alert `id` so consumers can de-duplicate.
"""

from __future__ import annotations

import logging
import queue
import time

from gateway import clock, features
from gateway.alerts.codes import CodeBook
from gateway.alerts.payload import alert_payload, encode
from gateway.alerts.registry_cache import RegistryCache
from gateway.config import Config
from gateway.errors import ConfigError, LinkError
from gateway.mqtt.link import MqttLink
from gateway.outreach.commands import MqttCommands, hq_commands
from gateway.status import collect, now_iso, stable_view
from gateway.store import alerts as alert_store
from gateway.store import incidents as incident_store
from gateway.store import links as link_status
from gateway.store import outbox
from gateway.workers import Notifier, StoreWorker

log = logging.getLogger(__name__)

WINDOW = 20  # alerts in flight at once (paho's default in-flight limit)
INFLIGHT_TIMEOUT = 60.0  # re-publish a row whose PUBACK never came
IDLE_WAIT = 1.0
STATUS_MIN_GAP = 2.0  # a burst of alerts changes the queue often: one status per 2 s is enough
RETAINED = {"network"}  # topics whose last message a late subscriber gets at once


class MqttService(StoreWorker):
    def __init__(self, config: Config, codebook: CodeBook, notifier: Notifier):
        super().__init__("mqtt", config.store.path)
        assert config.mqtt is not None
        self.config = config
        self.mqtt = config.mqtt
        self.codebook = codebook
        self.notifier = notifier
        prefix = self.prefix = f"{self.mqtt.topic_prefix}/{config.base.id}"
        self.alert_topic = f"{prefix}/alerts"
        self.status_topic = f"{prefix}/status"
        self.event_topic = f"{prefix}/events"
        self.command_topic = f"{prefix}/commands"
        self.commands: MqttCommands | None = None
        self.link: MqttLink | None = None
        self.registry: RegistryCache | None = None
        self._inflight: dict[int, tuple[int, float]] = {}  # mid -> (outbox row, sent at)
        self._last_status: dict | None = None
        self._last_status_at = 0.0
        self._status_connection = ""  # the connection the last status went on
        self._link_state: tuple[bool, str | None, str] | None = None

    def loop(self) -> None:
        if self.open_store():
            self.registry = RegistryCache(self._store(), self.codebook)
            self.commands = hq_commands(self._store(), self.config)
        if self.link is None:
            try:
                self.link = self._make_link()
            except ConfigError as exc:  # the password file: said, retried, no restart needed
                self._record_down(str(exc))
                raise LinkError(str(exc)) from None
            self.link.start()
        while not self.stopping.is_set():
            self.beat()
            self.notifier.wait("mqtt", IDLE_WAIT)
            self._take_commands()
            self._collect_acks()
            self._record_link()
            if self.link.connected.is_set():
                self.link_up()
                self._expire_inflight()
                self._publish_due()
                self._publish_status()

    def stop(self) -> None:
        """Stop, ending the idle wait now rather than when it runs out."""
        super().stop()
        self.notifier("mqtt")

    def cleanup(self) -> None:
        if self.link is not None:
            self._final_status()
            self.link.stop()
            self.link = None
        if self.store is not None:
            with self.store.transaction() as db:
                link_status.record(db, "mqtt", "stopped", broker=self._broker())
        self.close_store()

    def _make_link(self) -> MqttLink:
        will = {"base": self.config.base.id, "state": "offline", "reason": "lost"}
        link = MqttLink(self.mqtt, self.mqtt.client_id or f"cangw-{self.config.base.id}",
                        self.status_topic, encode(will),
                        self.command_topic if self.commands is not None else None)
        link.will_for = lambda connection: encode(will | {"connection": connection})
        link.on_change = lambda: self.notifier("mqtt")
        return link

    # -- commands from headquarters -----------------------------------------------------------
    def _take_commands(self) -> None:
        """Carry out what came on the command topic, then acknowledge it to the broker (a
        crash in between: the broker sends it again, and it is recognised)."""
        link = self._link()
        while self.commands is not None:
            try:
                mid, qos, payload = link.commands.get_nowait()
            except queue.Empty:
                return
            if self.commands.take(payload):
                for destination in ("outreach", "sms", "hf"):
                    self.notifier(destination)
            link.ack(mid, qos)

    # -- alerts -------------------------------------------------------------------------------
    def _publish_due(self) -> None:
        store, link = self._store(), self._link()
        room = WINDOW - len(self._inflight)
        if room <= 0:
            return
        busy = {row_id for row_id, _ in self._inflight.values()}
        for row in outbox.due(store.db, "mqtt", clock.now(), limit=room, exclude=busy):
            if row.body is not None:  # as written: an event, or `recipient` names the topic
                topic = f"{self.prefix}/{row.recipient}" if row.recipient else self.event_topic
                message, what = row.body.encode("utf-8"), row.recipient or "event"
            else:
                alert = alert_store.get(store.db, row.alert_id) if row.alert_id else None
                if alert is None:
                    with store.transaction() as db:
                        outbox.mark_attempt_failed(db, row.id, "alert missing", clock.now(), 1)
                    continue
                topic, what = self.alert_topic, alert.ref
                incident, throttled = incident_store.membership(store.db, alert.id) or (None, False)
                message = encode(alert_payload(alert, self.config.base.id, self.codebook,
                                               store.pseudonymiser(), self._registry().redact,
                                               incident, throttled))
            info = link.publish(topic, message, retain=row.recipient in RETAINED)
            if info.rc != 0:
                log.warning("MQTT publish of %s refused locally (rc %s); will retry", what,
                            info.rc)
                return
            self._inflight[info.mid] = (row.id, time.monotonic())

    def _collect_acks(self) -> None:
        link, store = self._link(), self._store()
        done = []
        while True:
            try:
                mid = link.acked.get_nowait()
            except queue.Empty:
                break
            entry = self._inflight.pop(mid, None)
            if entry is not None:
                done.append(entry[0])
        if not done:
            return
        now = time.time()
        with store.transaction(durable=False) as db:
            for row_id in done:
                outbox.mark_done(db, row_id, now)
            settled = outbox.settle_fallbacks(db, done, "mqtt", features.fallback_destinations(),
                                              now)
        log.info("MQTT: broker acknowledged %d alert(s)", len(done))
        if settled:
            log.info("fallback: %d alert(s) delivered over MQTT in time; not sending them "
                     "another way", settled)

    def _expire_inflight(self) -> None:
        limit = time.monotonic() - INFLIGHT_TIMEOUT
        for mid in [m for m, (_, sent) in self._inflight.items() if sent < limit]:
            del self._inflight[mid]

    # -- status -------------------------------------------------------------------------------
    def _publish_status(self) -> None:
        status = collect(self._store(), self.config) | {"state": "online"}
        view = stable_view(status)
        since = time.monotonic() - self._last_status_at
        # on a new connection at once: the retained status may be this base's last will now
        reconnected = self._link().connection != self._status_connection
        if not reconnected and (since < STATUS_MIN_GAP or (
                view == self._last_status and since < self.mqtt.status_interval)):
            return
        connection = self._link().connection
        self._link().publish(self.status_topic, encode(
            status | {"time": now_iso(), "connection": connection}), retain=True)
        self._last_status, self._last_status_at = view, time.monotonic()
        self._status_connection = connection

    def _final_status(self) -> None:
        link = self._link()
        if not link.connected.is_set():
            return
        status = collect(self._store(), self.config) if self.store else {}
        info = link.publish(self.status_topic, encode(status | {
            "state": "offline", "reason": "shutdown", "time": now_iso(),
            "connection": link.connection}), retain=True)
        try:
            info.wait_for_publish(timeout=3)
        except (RuntimeError, ValueError) as exc:
            log.warning("MQTT: final status not confirmed: %s", exc)

    def _record_link(self) -> None:
        link = self._link()
        state = (link.connected.is_set(), link.last_error, link.broker)
        if state == self._link_state:
            return
        self._link_state = state
        with self._store().transaction() as db:
            link_status.record(db, "mqtt", "up" if state[0] else "down", broker=self._broker(),
                               error=state[1])

    def _record_down(self, error: str) -> None:
        with self._store().transaction() as db:
            link_status.record(db, "mqtt", "down", broker=self._broker(), error=error)
        self._link_state = (False, error, self._broker())

    def _broker(self) -> str:
        return self.link.broker if self.link else "{}:{}".format(*self.mqtt.addresses()[0])

    def _link(self) -> MqttLink:
        assert self.link is not None
        return self.link


    def _registry(self) -> RegistryCache:
        assert self.registry is not None
        return self.registry

