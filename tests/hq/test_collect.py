"""`cangw hq-collect` against a real three-node cluster: bases and the satellite bridge publish
over MQTT with TLS, the collector (a child process) keeps each report once, the base's copy over
the satellite's, raises base_silent for a base that goes quiet (also when the node holding its
connection dies and its will is never delivered), and `cangw hq-command --via cluster` reaches
a base that was away."""

from __future__ import annotations

import datetime as dt
import json
import socket
import struct
import time

import pytest
from click.testing import CliRunner

from gateway.cli import cli
from gateway.outreach.hq_wire import verify_mqtt
from gateway.sim.harness import query, wait_for
from gateway.sim.hq_site import CollectorProcess, write_hq_config
from gateway.sim.mqtt_probe import MqttProbe
from tests.hq.conftest import local_cluster
from tests.hq.test_cluster import connected

BASES = ["KWJ", "BNI", "GOM"]
SILENT_AFTER = 4.0
KEY = "a-command-key-of-some-length"


@pytest.fixture(scope="module")
def cluster(tmp_path_factory):
    with local_cluster(tmp_path_factory.mktemp("hq"), BASES) as running:
        yield running


@pytest.fixture(scope="module")
def hq(cluster, tmp_path_factory):
    """hq.toml, with KWJ's command key, and the collector running on it."""
    folder = tmp_path_factory.mktemp("hq-store")
    config = write_hq_config(folder, cluster, BASES, silent_after=SILENT_AFTER, ack_wait=5)
    (folder / "kwj.key").write_text(KEY)
    (folder / "kwj.key").chmod(0o600)  # a key others can read is refused
    keyed = config.read_text().replace('id = "KWJ"\n', 'id = "KWJ"\ncommand_key_file = "kwj.key"\n')
    config.write_text(keyed)
    with CollectorProcess(config) as collector:
        wait_for(lambda: "reading $MQTT.msgs.can.v1.>" in collector.log, timeout=30,
                 what="the collector's consumer")
        yield config, collector


def published(probe: MqttProbe, topic: str, payload: dict, retain: bool = False) -> None:
    assert probe.wait_acked(probe.publish(topic, json.dumps(payload).encode(), retain), timeout=20)


def store(config):
    return config.parent / "hq.db"


def test_each_alert_is_kept_once_and_the_bases_copy_replaces_the_satellites(cluster, hq, clients):
    config, _ = hq
    base = connected(clients, cluster, 0, "base-KWJ", "cangw-KWJ")
    bridge = connected(clients, cluster, 1, "hq-bridge", "cangw-hq-bridge")
    alert = {"id": "KWJ-1-1", "base": "KWJ", "severity": "Extreme", "text": "alerte 2 kamango"}
    published(base, "can/v1/KWJ/alerts", alert)
    published(base, "can/v1/KWJ/alerts", alert)  # resent: its PUBACK was lost, say
    published(bridge, "can/v1/KWJ/alerts", {"id": "KWJ-1-2", "base": "KWJ", "via": "satellite",
                                            "text": "alerte 2 ka", "text_truncated": True})
    published(base, "can/v1/KWJ/alerts", {"id": "KWJ-1-2", "base": "KWJ", "text": "alerte 2 kamango"})
    published(bridge, "can/v1/KWJ/incidents", {"id": "KWJ-1-I1", "base": "KWJ", "version": 2,
                                               "state": "seen", "via": "satellite"})
    published(base, "can/v1/KWJ/incidents", {"id": "KWJ-1-I1", "base": "KWJ", "version": 1, "state": "open"})
    published(base, "can/v1/KWJ/events", {"event": "seen", "base": "KWJ", "id": "KWJ-1-1"})
    db = store(config)
    wait_for(lambda: query(db, "SELECT 1 FROM hq_events WHERE base = 'KWJ' AND event = 'seen'"),
             timeout=20, what="the event at headquarters")
    assert query(db, "SELECT uid, via, copies, json_extract(payload, '$.text') FROM hq_alerts"
                     " WHERE base = 'KWJ' ORDER BY uid") == [
        ("KWJ-1-1", "base", 2, "alerte 2 kamango"), ("KWJ-1-2", "base", 2, "alerte 2 kamango")]
    assert query(db, "SELECT version, state, via FROM hq_incidents WHERE uid = 'KWJ-1-I1'") == [
        (2, "seen", "satellite")]


def test_a_base_whose_node_dies_is_raised_silent_though_its_will_never_comes(cluster, hq, clients):
    """GOM's connection is reset: its will arrives and says offline at once. BNI is connected
    to node 2 with a last will; node 2 is killed: NATS does not deliver that will then (only
    later, if BNI's session moves to another node), so the missing heartbeat tells
    headquarters. BNI is back when heard again."""
    config, collector = hq
    db = store(config)
    bni = clients(MqttProbe(cluster, 2, "base-BNI", "cangw-BNI"))
    gom = clients(MqttProbe(cluster, 0, "base-GOM", "cangw-GOM"))
    for probe, base in ((bni, "BNI"), (gom, "GOM")):
        will = b'{"state":"offline","reason":"lost"}'
        probe.paho.will_set(f"can/v1/{base}/status", will, qos=1, retain=True)
        assert probe.connect() == 0
        published(probe, f"can/v1/{base}/status", {"base": base, "state": "online"}, retain=True)
    wait_for(lambda: query(db, "SELECT COUNT(*) FROM hq_bases WHERE base IN ('BNI', 'GOM')"
                               " AND state = 'online'") == [(2,)], timeout=20, what="both online")
    sock = gom.paho.socket()
    gom.paho.loop_stop()
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
    sock.close()
    assert _silent(db, "GOM") == "its status says offline (lost)"
    cluster.stop_node(2, kill=True)
    try:
        assert _silent(db, "BNI").startswith("nothing received for")
    finally:
        cluster.start_node(2)
    assert "base BNI is silent" in collector.log
    back = connected(clients, cluster, 1, "base-BNI", "cangw-BNI")
    published(back, "can/v1/BNI/status", {"base": "BNI", "state": "online"}, retain=True)
    wait_for(lambda: query(db, "SELECT 1 FROM hq_events WHERE base = 'BNI' AND event = 'base_back'"),
             timeout=20, what="base_back for BNI")


def _silent(db, base: str) -> str:
    """Why headquarters raised base_silent for `base` (waiting for it)."""
    return wait_for(lambda: query(db, "SELECT json_extract(payload, '$.reason') FROM hq_events"
                                      " WHERE event = 'base_silent' AND base = ?", [base]),
                    timeout=40, interval=0.2, what=f"base_silent for {base}")[0][0]


def test_hq_status_lists_every_base_with_its_liveness(cluster, hq, clients):
    config, _ = hq
    kwj = connected(clients, cluster, 0, "base-KWJ", "cangw-KWJ-status")
    published(kwj, "can/v1/KWJ/status", {"base": "KWJ", "state": "online", "links": {"gsm": {"state": "up"}},
                                         "queue": {"sbd": {"pending": 3}}}, retain=True)
    wait_for(lambda: query(store(config), "SELECT 1 FROM hq_bases WHERE base = 'KWJ' AND"
                                          " json_extract(status, '$.queue.sbd.pending') = 3"),
             timeout=20, what="KWJ's status")
    result = CliRunner().invoke(cli, ["hq-status", "-c", str(config), "--json"])
    assert result.exit_code == 0, result.output
    rows = {row["base"]: row for row in json.loads(result.output)}
    assert sorted(rows) == sorted(BASES)
    assert (rows["KWJ"]["liveness"], rows["KWJ"]["links"], rows["KWJ"]["waiting"]) == ("online", "gsm=up", 3)


def test_a_command_through_the_cluster_reaches_a_base_that_was_away(cluster, hq, clients):
    config, _ = hq
    away = connected(clients, cluster, 1, "base-KWJ", "cangw-KWJ-commands", clean=False)
    assert away.subscribe("can/v1/KWJ/commands") == 1
    away.close()
    result = CliRunner().invoke(cli, ["hq-command", "-c", str(config), "KWJ", "ping", "--via", "cluster"])
    assert result.exit_code == 0, result.output
    assert "stored in the cluster" in result.output
    back = connected(clients, cluster, 2, "base-KWJ", "cangw-KWJ-commands", clean=False)
    received = back.receive_until(lambda got: bool(got), timeout=15)
    assert [m.topic for m in received] == ["can/v1/KWJ/commands"]
    command = verify_mqtt(KEY.encode(), "KWJ", received[0].payload, 0)  # the MQTT form
    assert command.name == "ping"
    assert query(store(config), "SELECT base, command, counter FROM hq_commands") == [
        ("KWJ", "ping", command.counter)]
    refused = CliRunner().invoke(cli, ["hq-command", "-c", str(config), "BNI", "ping", "--via", "cluster"])
    assert refused.exit_code != 0 and "no [[base]] with id = 'BNI' and a command_key_file" in refused.output


def test_a_store_restored_from_a_backup_replays_the_cluster_from_its_time(cluster, hq, clients, tmp_path):
    config, _ = hq
    base = connected(clients, cluster, 0, "base-KWJ", "cangw-KWJ-replay")
    published(base, "can/v1/KWJ/alerts", {"id": "KWJ-9-1", "base": "KWJ"})
    wait_for(lambda: query(store(config), "SELECT 1 FROM hq_alerts WHERE uid = 'KWJ-9-1'"),
             timeout=20, what="the first alert at headquarters")
    backup_time = time.time()
    published(base, "can/v1/KWJ/alerts", {"id": "KWJ-9-2", "base": "KWJ"})
    restored = tmp_path / "hq.toml"
    restored.write_text(config.read_text().replace(str(store(config)), str(tmp_path / "hq.db"))
                        .replace("[collector]\n", '[collector]\nconsumer = "restored-1"\n'))
    since = dt.datetime.fromtimestamp(backup_time).isoformat()
    refused = CliRunner().invoke(cli, ["hq-collect", "-c", str(config), "--replay-from", since])
    assert refused.exit_code == 1  # the running collector's consumer: it cannot start over
    with CollectorProcess(restored, "--replay-from", since):
        wait_for(lambda: query(tmp_path / "hq.db", "SELECT 1 FROM hq_alerts WHERE uid = 'KWJ-9-2'"),
                 timeout=30, what="the alert after the backup's time")
    # the stream is read in order: an earlier alert would have been committed before it
    assert query(tmp_path / "hq.db", "SELECT uid FROM hq_alerts WHERE base = 'KWJ'") == [("KWJ-9-2",)]


def test_no_base_and_not_the_bridge_can_store_a_command_through_the_streams_back_door(cluster, hq, clients):
    """The collector may publish into the stream under a base's command topic; a base (over
    MQTT, `$MQTT/msgs/...`) and the satellite bridge may not, for any base, themselves included:
    the base's session never gets what they tried, only headquarters' command sent after."""
    config, _ = hq
    kwj = connected(clients, cluster, 1, "base-KWJ", "cangw-KWJ-backdoor", clean=False)
    assert kwj.subscribe("can/v1/KWJ/commands") == 1
    for user, client_id in (("base-BNI", "cangw-BNI-backdoor"), ("base-KWJ", "cangw-KWJ-other"),
                            ("hq-bridge", "cangw-hq-bridge-backdoor")):
        intruder = connected(clients, cluster, 0, user, client_id)
        for topic in ("$MQTT/msgs/can/v1/KWJ/commands", "can/v1/KWJ/commands"):
            intruder.wait_acked(intruder.publish(topic, f"forged by {user}".encode()), timeout=10)
    result = CliRunner().invoke(cli, ["hq-command", "-c", str(config), "KWJ", "ping", "--via", "cluster"])
    assert result.exit_code == 0, result.output
    received = kwj.receive_until(lambda got: any(not m.payload.startswith(b"forged") for m in got),
                                 timeout=15)
    assert [m.payload for m in received if m.payload.startswith(b"forged")] == []
    assert verify_mqtt(KEY.encode(), "KWJ", received[-1].payload, 0).name == "ping"
