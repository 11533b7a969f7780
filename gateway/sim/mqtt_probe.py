"""A paho MQTT 3.1.1 client over TLS to one node of headquarters' local cluster, recording
everything it is told (CONNACK, SUBACK, PUBACK with its time, messages) for the tests and
bench/hq_failover.py to wait on and measure."""

from __future__ import annotations

import queue
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import paho.mqtt.client as paho

from gateway.hq.cluster import HqCluster


@dataclass(frozen=True)
class Received:
    topic: str
    payload: bytes
    retain: bool


class MqttProbe:
    def __init__(self, cluster: HqCluster, node: int, user: str, client_id: str, clean: bool = True,
                 password: str | None = None, ca: Path | None = None):
        self.cluster, self.node = cluster, node
        self.messages: queue.Queue[Received] = queue.Queue()
        self.connacks: queue.Queue[int] = queue.Queue()
        self.subacks: queue.Queue[list[int]] = queue.Queue()
        self.acked: dict[int, float] = {}  # message id -> when its PUBACK came
        self.on_ack: Callable[[int], None] = lambda mid: None
        client = paho.Client(paho.CallbackAPIVersion.VERSION2, client_id=client_id,
                             clean_session=clean, protocol=paho.MQTTv311)
        client.username_pw_set(user, cluster.password(user) if password is None else password)
        client.tls_set(ca_certs=str(ca or cluster.ca))
        client.reconnect_delay_set(1, 2)
        client.max_inflight_messages_set(20)
        client.on_connect = lambda c, u, flags, rc, p: self.connacks.put(int(rc.value))
        client.on_subscribe = lambda c, u, mid, codes, p: self.subacks.put([int(rc.value) for rc in codes])
        client.on_message = lambda c, u, m: self.messages.put(
            Received(m.topic, bytes(m.payload), bool(m.retain)))
        client.on_publish = self._published
        self.paho = client

    def _published(self, client: paho.Client, userdata: object, mid: int,
                   reason_code: object, properties: object) -> None:
        self.acked[mid] = time.monotonic()
        self.on_ack(mid)

    def connect(self, timeout: float = 15.0) -> int:
        """Connect and wait for the CONNACK; its return code (0 accepted)."""
        self.paho.connect("127.0.0.1", self.cluster.mqtt_port(self.node), keepalive=30)
        self.paho.loop_start()
        return self.connacks.get(timeout=timeout)

    def subscribe(self, topic: str, timeout: float = 10.0) -> int:
        """QoS 1 subscription; the SUBACK's code (1 granted, 0x80 refused)."""
        self.paho.subscribe(topic, qos=1)
        return self.subacks.get(timeout=timeout)[0]

    def publish(self, topic: str, payload: bytes, retain: bool = False) -> int:
        return self.paho.publish(topic, payload, qos=1, retain=retain).mid

    def wait_acked(self, mid: int, timeout: float) -> bool:
        deadline = time.monotonic() + timeout
        while mid not in self.acked and time.monotonic() < deadline:
            time.sleep(0.02)
        return mid in self.acked

    def receive_until(self, done: Callable[[list[Received]], bool], timeout: float) -> list[Received]:
        """Messages received until `done(received so far)` holds (or the time is up)."""
        received: list[Received] = []
        deadline = time.monotonic() + timeout
        while not done(received):
            try:
                received.append(self.messages.get(timeout=max(deadline - time.monotonic(), 0)))
            except queue.Empty:
                break
        return received

    def close(self) -> None:
        self.paho.disconnect()
        self.paho.loop_stop()
