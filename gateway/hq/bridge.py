"""`cangw hq-bridge`: the satellite provider's webhook in, the bases' MQTT alerts out.

The provider posts each message a base sent; the bridge checks the post (the shared secret,
a modem of a configured base, a message from that very base), commits it to its
SQLite file and only then answers 200 (the provider wants an answer within 3 s), so a broker
that is down delays publishing but loses nothing. A publisher thread decodes each delivery
and publishes every alert with QoS 1 on the base's alerts topic, in the base's own JSON; a
delivery is marked published once the broker acknowledged all of it; an alert that came
before under another MOMSN is not published again. Malformed posts get a 4xx and the reason;
an exception while handling one is logged and answered 500, never fatal. Without a secret the
bridge does not start, unless `allow_unauthenticated` asks for a local test.
"""

from __future__ import annotations

import contextlib
import logging
import signal
import threading
import time
from typing import Any
from urllib.parse import urlsplit

from gateway.alerts.payload import encode
from gateway.errors import ConfigError, SbdFormatError
from gateway.hq.config import HqConfig
from gateway.hq.publish import load_books, publications
from gateway.hq.server import BridgeServer
from gateway.hq.store import (
    DUPLICATE,
    REFUSED,
    UNDECODABLE,
    Delivery,
    HqStore,
    StoredDelivery,
    message_ids,
)
from gateway.hq.webhook import BadDelivery, parse_delivery, read_fields
from gateway.mqtt.link import MqttLink
from gateway.sbd.batch import Batch
from gateway.sbd.packed import Message
from gateway.sbd.reply import StatusReply, Wiped, decode_message

log = logging.getLogger(__name__)

PUBACK_TIMEOUT = 10.0
IDLE_WAIT = 1.0
SHUTDOWN_POLL = 0.1  # seconds


class HqBridge:
    def __init__(self, config: HqConfig):
        self.config = config
        try:
            self.secret = config.http.secret()
        except ConfigError as exc:
            raise ConfigError(f"{config.source}: {exc}") from None
        self.imeis = {imei for base in config.bases for imei in base.imeis}
        self.store = HqStore(config.store.path)
        self.books, self.default_book = load_books(config)
        self.stopping = threading.Event()
        self.wake = threading.Event()
        status_topic = f"{config.mqtt.topic_prefix}/hq-bridge/status"
        self.link = MqttLink(config.mqtt, config.mqtt.client_id or "cangw-hq-bridge",
                             status_topic, encode({"state": "offline"}))
        self.link.on_change = self.wake.set
        self.server = BridgeServer(config.http, self)

    @property
    def port(self) -> int:
        return self.server.server_address[1]

    # -- running ------------------------------------------------------------------------------
    def run(self) -> int:
        """Serve until SIGTERM or SIGINT (or `stop()`)."""
        if threading.current_thread() is threading.main_thread():
            signal.signal(signal.SIGTERM, lambda *_: self.stop())
            signal.signal(signal.SIGINT, lambda *_: self.stop())
        self.link.start()
        # shutdown() waits for the server's next look at its flag: every 0.1 s, not 0.5 s
        server = threading.Thread(target=self.server.serve_forever, args=(SHUTDOWN_POLL,),
                                  name="hq-http", daemon=True)
        server.start()
        log.info("hq-bridge listening on %s:%d%s, publishing to %s", self.config.http.host,
                 self.port, self.config.http.path, self.link.broker)
        if self.secret is None:
            log.warning("hq-bridge: ACCEPTING POSTS WITHOUT AUTHENTICATION (allow_unauthenticated"
                        " = true): anyone who reaches %s:%d can post alerts. For a local test "
                        "only; set secret_file for real use", self.config.http.host, self.port)
        while not self.stopping.is_set():
            self.wake.wait(IDLE_WAIT)
            self.wake.clear()
            try:
                self.publish_pending()
            except Exception:  # the loop must outlive anything one delivery does
                log.exception("hq-bridge: publishing failed; trying again")
                self.stopping.wait(IDLE_WAIT)
        self.server.shutdown()
        self.server.server_close()
        self.link.stop()
        self.store.close()
        log.info("hq-bridge stopped")
        return 0

    def stop(self) -> None:
        self.stopping.set()
        self.wake.set()

    # -- receiving ----------------------------------------------------------------------------
    def receive(self, path: str, content_type: str, body: bytes) -> tuple[int, str]:
        """Check and keep one post; (HTTP status, reason)."""
        url = urlsplit(path)
        if url.path != self.config.http.path:
            return 404, f"nothing at {url.path}; deliveries go to {self.config.http.path}"
        try:
            delivery = parse_delivery(read_fields(body, content_type, url.query), self.secret,
                                      self.imeis)
        except BadDelivery as exc:
            log.warning("hq-bridge: post refused (%d): %s", exc.status, exc.reason)
            return exc.status, exc.reason
        try:
            message = decode_message(delivery.data)
        except SbdFormatError as exc:
            return self._keep_apart(delivery, UNDECODABLE, str(exc))
        refusal = self._wrong_base(delivery.imei, message)
        if refusal is not None:
            return self._keep_apart(delivery, REFUSED, refusal)
        stored = self.store.accept(delivery, time.time(), ids=message_ids(message))
        if stored is None:
            log.info("hq-bridge: imei %s momsn %d again: already received", delivery.imei,
                     delivery.momsn)
            return 200, "OK (already received)"
        if stored.state == DUPLICATE:
            log.info("hq-bridge: imei %s momsn %d brings nothing new (sent again by the base)",
                     delivery.imei, delivery.momsn)
            return 200, "OK (alerts already received)"
        self.wake.set()
        return 200, "OK"

    def _wrong_base(self, imei: str, message: Batch | Message | StatusReply | Wiped
                    ) -> str | None:
        """Why a message may not come from this modem, if it may not."""
        if self.config.base(message.base) is None:
            return f"base {message.base} is not one of this bridge's bases"
        owner = self.config.base_of_imei(imei)
        if owner is None or owner.id != message.base:
            return (f"imei {imei} belongs to base {owner.id if owner else '?'}, the message "
                    f"says {message.base}")
        return None

    def _keep_apart(self, delivery: Delivery, state: str, error: str) -> tuple[int, str]:
        """Keep a post that will not be published, for a person to look at."""
        status, reason = (403, error) if state == REFUSED else (
            422, f"data is not a cangw message: {error}")
        stored = self.store.accept(delivery, time.time(), state, error)
        log.warning("hq-bridge: imei %s momsn %d %s (%d): %s", delivery.imei, delivery.momsn,
                    "kept, not published" if stored else "again", status, reason)
        return status, reason

    def health(self) -> dict[str, Any]:
        """What `GET /health` answers: the broker, authentication, the deliveries by state."""
        return {"mqtt": self.link.connected.is_set(), "authenticated": self.secret is not None,
                **self.store.counts()}

    # -- publishing ---------------------------------------------------------------------------
    def publish_pending(self) -> int:
        """Publish what waits, oldest first, while the broker is there; how many went."""
        published = 0
        while self.link.connected.is_set() and not self.stopping.is_set():
            batch = self.store.pending()
            if not batch:
                break
            for stored in batch:
                if not self._publish(stored):
                    return published
                published += 1
        return published

    def _publish(self, stored: StoredDelivery) -> bool:
        delivery = stored.delivery
        message = decode_message(delivery.data)  # checked on arrival
        book = self.books.get(message.base, self.default_book)
        earlier = self.store.first_brought_by_others(stored.id, message_ids(message))
        items = publications(message, delivery, book, self.config.mqtt.topic_prefix, earlier)
        infos = [self.link.publish(topic, payload) for topic, payload in items]
        deadline = time.monotonic() + PUBACK_TIMEOUT
        for info in infos:
            with contextlib.suppress(RuntimeError, ValueError):  # not sent yet / disconnected
                info.wait_for_publish(max(0.0, deadline - time.monotonic()))
            if not info.is_published():
                self.store.mark_attempt(stored.id, "broker did not acknowledge in time")
                log.warning("hq-bridge: delivery %d (imei %s momsn %d) not acknowledged by the "
                            "broker; will publish it again", stored.id, delivery.imei,
                            delivery.momsn)
                return False
        self.store.mark_published(stored.id, time.time())
        log.info("hq-bridge: %s from %s (momsn %d) published: %d message(s)",
                 type(message).__name__, message.base, delivery.momsn, len(items))
        return True
