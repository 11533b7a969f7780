"""The MQTT connection to headquarters (paho-mqtt 2.x), reduced to what the uplink needs.

paho's in-memory queue dies with the process, so it is never the source of truth: the outbox
is. This wrapper only reports which message ids the broker acknowledged (PUBACK for QoS 1).

paho retries a failed connection by itself with a capped backoff (1 s doubling to
`[mqtt] reconnect_max`, 60 s by default). With
several brokers (`[mqtt] hosts`, headquarters' cluster nodes) each failed attempt and each lost
connection moves the next attempt to the next address, round the list and back to the first,
under the same backoff: a node that dies or refuses connections while its cluster elects new
leaders is left for another at once. What failed is kept in `last_error` in words a
technician can act on (broker unreachable, TLS, refused credentials) and logged once per broker,
then again every 10 minutes while it lasts. After a refusal the password file is read again,
so fixing it needs no restart.
"""

from __future__ import annotations

import logging
import queue
import secrets
import socket
import ssl
import sys
import threading
from collections.abc import Callable

import paho.mqtt.client as paho
from paho.mqtt.reasoncodes import ReasonCode

from gateway.errors import ConfigError
from gateway.mqtt.config import MqttConfig
from gateway.repeats import Repeats

log = logging.getLogger(__name__)

RECONNECT_MIN = 1


class MqttLink:
    def __init__(self, config: MqttConfig, client_id: str, will_topic: str, will_payload: bytes,
                 command_topic: str | None = None):
        """With a `command_topic`, the session is persistent (the broker keeps the subscription
        and what arrives while the base is away) and what arrives there is acknowledged only
        when the owner calls `ack`, after committing it."""
        self.config = config
        self.acked: queue.Queue[int] = queue.Queue()
        self.commands: queue.Queue[tuple[int, int, bytes]] = queue.Queue()  # (mid, qos, payload)
        self.connected = threading.Event()
        self.connection = ""  # names the current connection: its status and its will carry it
        self.will_for: Callable[[str], bytes] | None = None  # the will, per connection
        self.last_error: str | None = None
        self.on_change = lambda: None
        self.command_topic = command_topic
        self._stopping = False
        self._repeats = Repeats()
        self._addresses = config.addresses()
        self._turn = 0  # which address the next attempt goes to
        self._run, self._attempts, self._will_topic = secrets.token_hex(3), 0, will_topic
        client = paho.Client(paho.CallbackAPIVersion.VERSION2, client_id=client_id,
                             clean_session=command_topic is None, protocol=paho.MQTTv311)
        if command_topic is not None:
            client.manual_ack_set(True)
            client.on_message = self._on_message
        client.will_set(will_topic, will_payload, qos=1, retain=True)
        if config.username:
            client.username_pw_set(config.username, config.password())
        if config.tls:
            client.tls_set(ca_certs=str(config.ca_file) if config.ca_file else None,
                           cert_reqs=ssl.CERT_REQUIRED)
        client.reconnect_delay_set(RECONNECT_MIN, config.reconnect_max)
        client.on_connect = self._on_connect
        client.on_disconnect = self._on_disconnect
        client.on_publish = self._on_publish
        client.on_connect_fail = self._on_connect_fail
        self.client = client

    def start(self) -> None:
        """Connect in the background; paho retries with capped backoff until it succeeds."""
        self._next_attempt()
        self.client.connect_async(*self.address, self.config.keepalive)
        self.client.loop_start()

    @property
    def address(self) -> tuple[str, int]:
        """The broker the link is connected or connecting to."""
        return self._addresses[self._turn]

    @property
    def broker(self) -> str:
        return "{}:{}".format(*self.address)

    def _next_attempt(self) -> None:
        """A new name for the next connection, and the will it leaves: a broker may deliver an
        earlier connection's will after the next connection's first status (NATS does when a
        session moves to another node), and the name tells headquarters that will is stale."""
        self._attempts += 1
        self.connection = f"{self._run}-{self._attempts}"
        if self.will_for is not None:
            self.client.will_set(self._will_topic, self.will_for(self.connection), qos=1, retain=True)

    def _move_on(self) -> None:
        """Point paho's next attempt at the next address (paho's thread, between attempts)."""
        if len(self._addresses) > 1 and not self._stopping:
            self._turn = (self._turn + 1) % len(self._addresses)
            self.client.connect_async(*self.address, self.config.keepalive)

    def publish(self, topic: str, payload: bytes, retain: bool = False) -> paho.MQTTMessageInfo:
        return self.client.publish(topic, payload, qos=1, retain=retain)

    def ack(self, mid: int, qos: int) -> None:
        """Acknowledge a command to the broker (once it is committed)."""
        self.client.ack(mid, qos)

    def stop(self) -> None:
        self._stopping = True
        self.client.disconnect()
        self.client.loop_stop()

    # -- paho callbacks (paho's thread: only flags and queues here) ---------------------------
    def _on_connect(self, client: paho.Client, userdata: object, flags: object,
                    reason_code: ReasonCode, properties: object) -> None:
        if reason_code.is_failure:
            self._failed(f"broker refused the connection: {reason_code} (check [mqtt] username "
                         "and the password file)")
            if self.config.username:
                try:  # a technician may have fixed the file meanwhile
                    client.username_pw_set(self.config.username, self.config.password())
                except ConfigError as exc:
                    self._failed(str(exc))
        else:
            self.last_error = None
            self._repeats.clear()
            if self.command_topic is not None:
                client.subscribe(self.command_topic, qos=1)
            self.connected.set()
            log.info("MQTT connected to %s", self.broker)
        self.on_change()

    def _on_disconnect(self, client: paho.Client, userdata: object, flags: object,
                       reason_code: ReasonCode, properties: object) -> None:
        was_connected = self.connected.is_set()
        self.connected.clear()
        if was_connected and not self._stopping:
            log.warning("MQTT disconnected from %s (%s); reconnecting", self.broker, reason_code)
        self._next_attempt()
        self._move_on()
        self.on_change()

    def _on_connect_fail(self, client: paho.Client, userdata: object) -> None:
        # paho calls this from inside its `except OSError`: the exception says what failed
        self._failed(describe_failure(sys.exc_info()[1]))
        self._next_attempt()
        self._move_on()
        self.on_change()

    def _failed(self, error: str) -> None:
        """Keep the error for status; log it when it changes, and every 10 minutes."""
        self.last_error = error
        if self._repeats.due(f"{self.broker}: {error}"):
            log.error("MQTT %s: %s; retrying with backoff (up to %d s)", self.broker, error,
                      self.config.reconnect_max)

    def _on_message(self, client: paho.Client, userdata: object,
                    message: paho.MQTTMessage) -> None:
        self.commands.put((message.mid, message.qos, bytes(message.payload)))
        self.on_change()

    def _on_publish(self, client: paho.Client, userdata: object, mid: int,
                    reason_code: ReasonCode, properties: object) -> None:
        self.acked.put(mid)
        self.on_change()


def describe_failure(exc: BaseException | None) -> str:
    """Why a connection attempt failed, in a technician's words."""
    if isinstance(exc, ssl.SSLCertVerificationError):
        return f"TLS failure: the broker's certificate is not trusted ({exc.verify_message})"
    if isinstance(exc, ssl.SSLError):
        return f"TLS failure: {exc.reason or exc} (is the broker's port a TLS port?)"
    if isinstance(exc, socket.gaierror):
        return "cannot reach the broker: its name does not resolve (DNS, or no internet)"
    if isinstance(exc, ConnectionRefusedError):
        return "cannot reach the broker: connection refused (broker down, or wrong port)"
    if isinstance(exc, OSError):
        return f"cannot reach the broker: {exc.strerror or exc}"
    return "cannot reach the broker"
