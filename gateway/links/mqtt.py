"""The MQTT connection to headquarters (paho-mqtt 2.x), reduced to what the uplink needs.

paho's in-memory queue dies with the process, so it is never the source of truth: the outbox
is. This wrapper only reports which message ids the broker acknowledged (PUBACK for QoS 1).
"""

from __future__ import annotations

import logging
import queue
import ssl
import threading

import paho.mqtt.client as paho

from gateway.config import MqttConfig

log = logging.getLogger(__name__)

RECONNECT_MIN, RECONNECT_MAX = 1, 60


class MqttLink:
    def __init__(self, config: MqttConfig, client_id: str, will_topic: str, will_payload: bytes):
        self.config = config
        self.acked: queue.Queue[int] = queue.Queue()
        self.connected = threading.Event()
        self.last_error: str | None = None
        self.on_change = lambda: None
        self._stopping = False
        client = paho.Client(paho.CallbackAPIVersion.VERSION2, client_id=client_id,
                             clean_session=True, protocol=paho.MQTTv311)
        client.will_set(will_topic, will_payload, qos=1, retain=True)
        if config.username:
            client.username_pw_set(config.username, config.password())
        if config.tls:
            client.tls_set(ca_certs=str(config.ca_file) if config.ca_file else None,
                           cert_reqs=ssl.CERT_REQUIRED)
        client.reconnect_delay_set(RECONNECT_MIN, RECONNECT_MAX)
        client.on_connect = self._on_connect
        client.on_disconnect = self._on_disconnect
        client.on_publish = self._on_publish
        client.on_connect_fail = self._on_connect_fail
        self.client = client

    def start(self) -> None:
        """Connect in the background; paho retries with capped backoff until it succeeds."""
        self.client.connect_async(self.config.host, self.config.port, self.config.keepalive)
        self.client.loop_start()

    def publish(self, topic: str, payload: bytes, retain: bool = False) -> paho.MQTTMessageInfo:
        return self.client.publish(topic, payload, qos=1, retain=retain)

    def stop(self) -> None:
        self._stopping = True
        self.client.disconnect()
        self.client.loop_stop()

    # -- paho callbacks (paho's thread: only flags and queues here) ---------------------------
    def _on_connect(self, client, userdata, flags, reason_code, properties) -> None:
        if reason_code.is_failure:
            self.last_error = f"broker refused the connection: {reason_code}"
            log.error("MQTT %s:%d: %s", self.config.host, self.config.port, self.last_error)
        else:
            self.last_error = None
            self.connected.set()
            log.info("MQTT connected to %s:%d", self.config.host, self.config.port)
        self.on_change()

    def _on_disconnect(self, client, userdata, flags, reason_code, properties) -> None:
        was_connected = self.connected.is_set()
        self.connected.clear()
        if was_connected and not self._stopping:
            log.warning("MQTT disconnected from %s:%d (%s); reconnecting", self.config.host,
                        self.config.port, reason_code)
        self.on_change()

    def _on_connect_fail(self, client, userdata) -> None:
        if self.last_error != "cannot reach the broker":  # say it once, not at every retry
            log.warning("MQTT: cannot reach %s:%d; retrying with backoff", self.config.host,
                        self.config.port)
        self.last_error = "cannot reach the broker"
        self.on_change()

    def _on_publish(self, client, userdata, mid, reason_code, properties) -> None:
        self.acked.put(mid)
        self.on_change()
