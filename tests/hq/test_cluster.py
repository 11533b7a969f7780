"""Headquarters' three-node NATS cluster (gateway/hq/cluster.py) with real nats-server processes,
reached by paho over MQTT 3.1.1 and TLS as the bases reach it: what a PUBACK means, a node killed
mid-burst, per-base permissions, TLS, retained status and last will."""

from __future__ import annotations

import asyncio
import itertools
import os
import signal
import socket
import ssl
import struct
import time

import nats
import pytest
from nats.js.api import ConsumerConfig, DeliverPolicy, RetentionPolicy, StreamConfig

from gateway.hq import certs, streams
from gateway.hq.cluster import HqCluster
from gateway.hq.users import MESSAGES_STREAM
from gateway.sim.mqtt_probe import MqttProbe, Received
from tests.hq.conftest import local_cluster

BURST = 200
KILL_AFTER = 100  # PUBACKs before the stream's leader is killed
RETAINED_STREAM = "$MQTT_rmsgs"


@pytest.fixture(scope="module")
def cluster(tmp_path_factory):
    with local_cluster(tmp_path_factory.mktemp("hq"), ["KWJ", "BNI"]) as running:
        yield running


def connected(clients, *args, **kwargs) -> MqttProbe:
    client = clients(MqttProbe(*args, **kwargs))
    assert client.connect() == 0
    return client


def other(index: int, *excluded: int) -> int:
    return next(n for n in range(3) if n != index and n not in excluded)


def payloads(received: list[Received]) -> set[bytes]:
    return {message.payload for message in received}


def test_a_puback_waits_for_a_majority_of_the_streams_replicas(cluster, clients):
    """The base is connected to the node that leads the messages stream; with the two other
    nodes paused that leader alone has the message, and no PUBACK comes until they resume."""
    cluster.wait_ready()
    leader = cluster.stream_leader()
    assert leader is not None
    base = connected(clients, cluster, leader, "base-KWJ", "cangw-KWJ-majority")
    assert base.wait_acked(base.publish("can/v1/KWJ/alerts", b"all-up"), timeout=5)
    followers = [n for n in range(3) if n != leader]
    try:
        for n in followers:
            cluster.pause_node(n)
        mid = base.publish("can/v1/KWJ/alerts", b"leader-alone")
        assert not base.wait_acked(mid, timeout=2.0), "PUBACK with one replica of three"
    finally:
        for n in followers:
            cluster.resume_node(n)
    assert base.wait_acked(mid, timeout=15), "no PUBACK once the majority was back"
    cluster.wait_ready()


def test_every_acknowledged_message_survives_killing_the_streams_leader_mid_burst(cluster, clients):
    """A headquarters session subscribed on the node that leads the messages stream goes offline;
    a base publishes a burst on another node; the leader gets SIGKILL after KILL_AFTER PUBACKs and
    is started again; the session, resumed on another node, gets every PUBACKed message.

    A base connected to the killed node has a last will: NATS never delivers it (the node that
    held the connection is gone), so headquarters must also watch the bases' heartbeats."""
    cluster.wait_ready()
    leader = cluster.stream_leader()
    assert leader is not None
    session = connected(clients, cluster, leader, "hq-collector", "hq-kill-test", clean=False)
    assert session.subscribe("can/v1/KWJ/alerts") == 1
    session.close()

    watcher = connected(clients, cluster, other(leader), "hq-collector", "hq-kill-watch")
    assert watcher.subscribe("can/v1/BNI/status") == 1
    on_leader = clients(MqttProbe(cluster, leader, "base-BNI", "cangw-BNI-on-leader"))
    on_leader.paho.will_set("can/v1/BNI/status", b"will-of-a-base-on-the-killed-node", qos=1)
    assert on_leader.connect() == 0
    base = connected(clients, cluster, other(leader), "base-KWJ", "cangw-KWJ-burst")
    killed_at: list[float] = []
    leader_pid = cluster.nodes[leader].pid
    assert leader_pid

    def kill_leader_midway(mid: int) -> None:  # paho's thread: only the signal here
        if len(base.acked) == KILL_AFTER and not killed_at:
            killed_at.append(time.monotonic())
            os.kill(leader_pid, signal.SIGKILL)

    base.on_ack = kill_leader_midway
    sent = {base.publish("can/v1/KWJ/alerts", f"burst-{n}".encode()): f"burst-{n}".encode()
            for n in range(BURST)}
    deadline = time.monotonic() + 40
    while len(base.acked) < BURST and time.monotonic() < deadline:
        time.sleep(0.05)
    acked = dict(base.acked)  # a copy: PUBACKs may still come in
    acknowledged = {sent[mid] for mid in acked if mid in sent}
    assert killed_at, "the leader was never killed"
    assert len(acknowledged) == BURST, f"only {len(acknowledged)} of {BURST} PUBACKed"
    times = sorted(acked.values())
    print(f"\nlongest gap between PUBACKs: {max(b - a for a, b in itertools.pairwise(times)):.1f} s; "
          f"kill -> last PUBACK {times[-1] - killed_at[0]:.1f} s")

    cluster.start_node(leader)  # reaps the killed process first
    resumed = connected(clients, cluster, other(leader), "hq-collector", "hq-kill-test", clean=False)
    received = resumed.receive_until(lambda got: acknowledged <= payloads(got), timeout=30)
    print(f"{len(received)} received ({len(received) - len(payloads(received))} duplicates) "
          f"{time.monotonic() - killed_at[0]:.1f} s after the kill")
    missing = acknowledged - payloads(received)
    assert not missing, f"{len(missing)} PUBACKed messages lost, e.g. {sorted(missing)[:5]}"
    statuses = watcher.receive_until(lambda got: False, timeout=0.5)
    assert b"will-of-a-base-on-the-killed-node" not in payloads(statuses), "NATS now delivers such a will"


def test_a_base_publishing_as_another_base_gets_a_puback_and_nothing_is_delivered(cluster, clients):
    """NATS acknowledges a publish the user may not make and drops it: the message sent after
    it, which the base may send, arrives; the forbidden ones never do."""
    cluster.wait_ready()
    watcher = connected(clients, cluster, 1, "hq-collector", "hq-watch-spoof")
    assert watcher.subscribe("can/v1/#") == 1
    base = connected(clients, cluster, 0, "base-KWJ", "cangw-KWJ-spoof")
    forbidden = [base.publish("can/v1/BNI/alerts", b"KWJ-as-BNI"),
                 base.publish("can/v1/KWJ/commands", b"KWJ-commands-itself")]
    allowed = base.publish("can/v1/KWJ/alerts", b"KWJ-own-alert")
    assert all(base.wait_acked(mid, timeout=5) for mid in [*forbidden, allowed])
    received = watcher.receive_until(lambda got: b"KWJ-own-alert" in payloads(got), timeout=10)
    assert b"KWJ-own-alert" in payloads(received)
    assert not payloads(received) & {b"KWJ-as-BNI", b"KWJ-commands-itself"}


def test_the_satellite_bridge_may_publish_any_bases_alerts_but_no_command(cluster, clients):
    cluster.wait_ready()
    watcher = connected(clients, cluster, 0, "hq-collector", "hq-watch-bridge")
    assert watcher.subscribe("can/v1/#") == 1
    bridge = connected(clients, cluster, 1, "hq-bridge", "cangw-hq-bridge")
    for topic, payload in [("can/v1/BNI/commands", b"bridge-command"),
                           ("can/v1/BNI/alerts", b"bridge-alert")]:
        assert bridge.wait_acked(bridge.publish(topic, payload), timeout=5)
    received = watcher.receive_until(lambda got: b"bridge-alert" in payloads(got), timeout=10)
    assert b"bridge-alert" in payloads(received) and b"bridge-command" not in payloads(received)


def only_kwjs_command_arrives(hq: MqttProbe, kwj: MqttProbe, for_bni: bytes) -> None:
    """Headquarters sends a command to BNI, then one to KWJ: once KWJ's arrives, BNI's would
    have arrived before it (same sender, same order) had it been delivered."""
    hq.publish("can/v1/BNI/commands", for_bni)
    hq.publish("can/v1/KWJ/commands", b"for-KWJ")
    received = kwj.receive_until(lambda got: b"for-KWJ" in payloads(got), timeout=10)
    assert payloads(received) == {b"for-KWJ"}


def test_a_base_may_subscribe_only_to_its_own_commands(cluster, clients):
    cluster.wait_ready()
    base = connected(clients, cluster, 0, "base-KWJ", "cangw-KWJ-commands")
    assert base.subscribe("can/v1/BNI/commands") == 0x80
    assert base.subscribe("can/v1/BNI/alerts") == 0x80
    assert base.subscribe("can/v1/KWJ/commands") == 1
    only_kwjs_command_arrives(connected(clients, cluster, 2, "hq-collector", "hq-commands"), base, b"for-BNI")


def test_a_base_using_another_bases_client_id_does_not_get_its_commands(cluster, clients):
    """Client ids are not bound to users: KWJ connecting as `cangw-BNI` takes over BNI's session
    (and disconnects BNI), but the session's subscription is not delivered to KWJ; BNI gets its
    command when it is back."""
    cluster.wait_ready()
    bni = connected(clients, cluster, 1, "base-BNI", "cangw-BNI-session", clean=False)
    assert bni.subscribe("can/v1/BNI/commands") == 1
    bni.close()
    thief = connected(clients, cluster, 0, "base-KWJ", "cangw-BNI-session", clean=False)
    assert thief.subscribe("can/v1/KWJ/commands") == 1
    hq = connected(clients, cluster, 2, "hq-collector", "hq-takeover")
    only_kwjs_command_arrives(hq, thief, b"for-BNI-while-away")
    thief.close()
    bni = connected(clients, cluster, 1, "base-BNI", "cangw-BNI-session", clean=False)
    received = bni.receive_until(lambda got: b"for-BNI-while-away" in payloads(got), timeout=10)
    assert b"for-BNI-while-away" in payloads(received)


@pytest.mark.parametrize(("user", "password"), [("base-KWJ", "not-its-password"),
                                                ("base-XYZ", "no-such-base"), ("base-KWJ", "")])
def test_a_wrong_password_is_refused_at_connect(cluster, clients, user, password):
    client = clients(MqttProbe(cluster, 0, user, "cangw-wrong", password=password))
    assert client.connect() == 135  # CONNACK 5, "not authorized", in paho's MQTT 5 numbering


def test_a_base_added_to_a_running_cluster_can_connect_after_a_reload(cluster, clients):
    cluster.wait_ready()
    kwj = connected(clients, cluster, 2, "base-KWJ", "cangw-KWJ-reload")
    cluster.add_base("XYZ")
    assert kwj.wait_acked(kwj.publish("can/v1/KWJ/alerts", b"after-reload"), timeout=5)
    assert kwj.connacks.empty(), "the reload dropped a base's connection"
    base = connected(clients, cluster, 2, "base-XYZ", "cangw-XYZ")
    assert base.subscribe("can/v1/XYZ/commands") == 1
    assert base.subscribe("can/v1/KWJ/commands") == 0x80
    assert base.wait_acked(base.publish("can/v1/XYZ/alerts", b"XYZ-alert"), timeout=5)


def test_a_client_that_does_not_trust_the_cluster_ca_is_refused(cluster, clients, tmp_path):
    stranger_ca = certs.make_ca(tmp_path, "some other CA")
    client = clients(MqttProbe(cluster, 0, "base-KWJ", "cangw-KWJ-stranger", ca=stranger_ca.cert))
    with pytest.raises(ssl.SSLCertVerificationError):
        client.connect()


def test_mqtt_without_tls_is_refused(cluster):
    """A plain-text CONNECT gets no CONNACK: the listener speaks TLS only."""
    connect = bytes([0x10, 18, 0, 4, *b"MQTT", 4, 2, 0, 30, 0, 6, *b"plain1"])
    with socket.create_connection(("127.0.0.1", cluster.mqtt_port(0)), timeout=5) as sock:
        sock.sendall(connect)
        try:
            answer = sock.recv(4)
        except (ConnectionResetError, TimeoutError):
            answer = b""
    assert not answer.startswith(b"\x20"), "a CONNACK over plain TCP"


def test_last_will_is_delivered_when_a_bases_connection_is_reset(cluster, clients):
    cluster.wait_ready()
    hq = connected(clients, cluster, 1, "hq-collector", "hq-will")
    assert hq.subscribe("can/v1/KWJ/status") == 1
    base = clients(MqttProbe(cluster, 0, "base-KWJ", "cangw-KWJ-will"))
    base.paho.will_set("can/v1/KWJ/status", b'{"state": "offline", "reason": "lost"}', qos=1, retain=True)
    assert base.connect() == 0
    assert base.wait_acked(base.publish("can/v1/KWJ/status", b'{"state": "online"}', retain=True), 5)
    sock = base.paho.socket()
    base.paho.loop_stop()
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
    reset_at = time.monotonic()
    sock.close()  # a reset, as when a base's link drops: no DISCONNECT, so the will is due
    received = hq.receive_until(lambda got: b"lost" in b"".join(payloads(got)), timeout=10)
    assert any(b"lost" in message.payload for message in received), "no last will"
    print(f"\nlast will {time.monotonic() - reset_at:.2f} s after the reset")
    late = connected(clients, cluster, 2, "hq-collector", "hq-will-late")
    assert late.subscribe("can/v1/KWJ/status") == 1
    retained = late.receive_until(lambda got: bool(got), timeout=10)
    assert retained and retained[0].retain and b"lost" in retained[0].payload


def test_retained_status_survives_killing_the_node_that_leads_the_retained_stream(cluster, clients):
    cluster.wait_ready()
    base = connected(clients, cluster, 0, "base-BNI", "cangw-BNI-retained")
    assert base.wait_acked(base.publish("can/v1/BNI/status", b'{"state": "online", "n": 7}', retain=True), 5)
    base.close()
    leader = cluster.stream_leader(RETAINED_STREAM)
    assert leader is not None
    cluster.stop_node(leader, kill=True)
    cluster.start_node(leader)
    deadline = time.monotonic() + 30
    while cluster.stream_leader(RETAINED_STREAM) is None and time.monotonic() < deadline:
        time.sleep(0.1)
    hq = connected(clients, cluster, other(leader), "hq-collector", "hq-retained")
    assert hq.subscribe("can/v1/BNI/status") == 1
    received = hq.receive_until(lambda got: bool(got), timeout=10)
    assert received == [Received("can/v1/BNI/status", b'{"state": "online", "n": 7}', True)]


async def _nats(cluster: HqCluster, user: str) -> nats.NATS:
    return await nats.connect(servers=[cluster.client_url(1)], user=user, password=cluster.password(user),
                              tls=streams.tls_context(cluster.ca), allow_reconnect=False)


async def _read_stream(cluster: HqCluster, user: str, subject: str, count: int,
                       api_timeout: float = 3.0) -> list[bytes]:
    """Up to `count` messages on `subject` from the start of the messages stream, as a
    collector rebuilding its store would read them (a JetStream pull consumer, nats-py)."""
    connection = await _nats(cluster, user)
    try:
        js = connection.jetstream(timeout=api_timeout)
        consumer = await js.pull_subscribe(subject, durable=f"rebuild-{user}", stream=MESSAGES_STREAM,
                                           config=ConsumerConfig(deliver_policy=DeliverPolicy.ALL))
        try:
            messages = await consumer.fetch(count, timeout=3)
        except nats.errors.TimeoutError:
            messages = []
        for message in messages:
            await message.ack()
        await js.delete_consumer(MESSAGES_STREAM, f"rebuild-{user}")
        return [message.data for message in messages]
    finally:
        await connection.close()


def test_headquarters_can_rebuild_its_store_from_the_cluster(cluster, clients):
    """Messages a persistent session received and acknowledged are still in the messages stream
    (limits retention, three replicas, 90 days), for the collector's JetStream consumer and not
    for a base's user."""
    cluster.wait_ready()
    session = connected(clients, cluster, 0, "hq-collector", "hq-rebuild", clean=False)
    assert session.subscribe("can/v1/BNI/events") == 1
    base = connected(clients, cluster, 1, "base-BNI", "cangw-BNI-events")
    sent = [f"event-{n}".encode() for n in range(5)]
    mids = [base.publish("can/v1/BNI/events", payload) for payload in sent]
    assert all(base.wait_acked(mid, timeout=5) for mid in mids)
    assert payloads(session.receive_until(lambda got: len(got) >= len(sent), timeout=10)) == set(sent)
    session.close()  # its PUBACKs are in: an interest stream would have dropped them now

    kept = asyncio.run(_read_stream(cluster, "hq-collector", "$MQTT.msgs.can.v1.BNI.events", 50))
    assert kept == sent
    with pytest.raises((nats.errors.Error, asyncio.TimeoutError)):
        asyncio.run(_read_stream(cluster, "base-BNI", "$MQTT.msgs.can.v1.BNI.events", 50, api_timeout=1.0))
    stream = asyncio.run(_stream_config(cluster))
    assert (stream.retention, stream.num_replicas, stream.max_age) == (RetentionPolicy.LIMITS, 3, 90 * 86400)


async def _stream_config(cluster: HqCluster) -> StreamConfig:
    connection = await _nats(cluster, "hq-admin")
    try:
        return (await connection.jetstream().stream_info(MESSAGES_STREAM)).config
    finally:
        await connection.close()
