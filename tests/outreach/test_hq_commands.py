"""Headquarters' commands through the real daemon: a signed MQTT broadcast is carried out and
answered with its id and delivery summaries; a bad signature, a replayed message and an old
counter are refused and logged, never carried out; a command sent while the base was away
arrives when it reconnects (persistent session); a satellite broadcast is carried out once
(the same command by MQTT after it is refused) and its summary rides the next status reply;
`cangw hq-command` builds both forms."""

from __future__ import annotations

import json

import paho.mqtt.client as paho
from click.testing import CliRunner

from gateway.cli import cli
from gateway.outreach.hq_wire import BroadcastRequest, HqCommand, encode_broadcast, sign_mqtt
from gateway.sbd import commands
from gateway.sbd.reply import StatusReply, decode_message
from gateway.sim.harness import (
    DaemonProcess,
    MqttListener,
    query,
    wait_for,
    wait_until_gsm_up,
)
from gateway.sim.sbd_modem import SimulatedSbdModem
from tests.outreach.conftest import make_base
from tests.outreach.test_outreach_end_to_end import QUICK

KEY = "k3y-for-tests-0123456789abcdef"
TOPIC = "can/v1/KWJ/commands"
NORTH_CHIEFS = BroadcastRequest("zone:north AND group:chiefs", 1, {"place": "Kamango"})


def publish(port: int, payload: bytes) -> None:
    client = paho.Client(paho.CallbackAPIVersion.VERSION2, protocol=paho.MQTTv311)
    client.connect("127.0.0.1", port)
    client.loop_start()
    try:
        client.publish(TOPIC, payload, qos=1).wait_for_publish(timeout=10)
    finally:
        client.disconnect()  # first: it ends paho's loop at once (loop_stop alone waits 1 s)
        client.loop_stop()


def command(counter: int, request: BroadcastRequest | None = NORTH_CHIEFS,
            key: str = KEY) -> bytes:
    name = "ping" if request is None else "broadcast"
    return sign_mqtt(key.encode(), "KWJ", HqCommand(counter, name, request))


def outcomes(db) -> list[tuple]:
    return query(db, "SELECT via, counter, accepted, outcome FROM sbd_commands ORDER BY id")


def events(hq, kind: str) -> list[dict]:
    return [e for e in hq.json_on("/events") if e.get("event") == kind]


def test_mqtt_commands_are_carried_out_once_and_forgeries_and_replays_never(tmp_path, modem,
                                                                           broker):
    (tmp_path / "command.key").write_text(KEY + "\n")
    (tmp_path / "command.key").chmod(0o600)  # a key others can read is refused
    config, store = make_base(tmp_path, QUICK, modem.path, broker.port)
    store.close()
    text = config.source.read_text().replace(
        "status_interval = 5\n", 'status_interval = 5\ncommand_key_file = "command.key"\n')
    config.source.write_text(text)
    db = config.store.path
    with MqttListener(broker.port) as hq:
        with DaemonProcess(config.source) as daemon:
            wait_until_gsm_up(db, daemon)
            wait_for(lambda: "MQTT connected" in daemon.log, 10, what="MQTT connected")
            good = command(1_790_000_000)
            publish(broker.port, good)
            first = wait_for(lambda: events(hq, "broadcast"), 15, what="the broadcast's id")[0]
            assert first["command_counter"] == 1_790_000_000 and first["origin"] == "mqtt"
            wait_for(lambda: [e for e in events(hq, "broadcast")
                              if e["counts"]["delivered"] == 2], 15, what="delivered")
            publish(broker.port, command(1_790_000_001, key="not the key, but long enough"))
            publish(broker.port, good)  # replayed as it was
            publish(broker.port, command(1_789_999_999))  # signed, but an old counter
            publish(broker.port, command(1_790_000_002, None))  # ping
            wait_for(lambda: events(hq, "pong"), 10, what="the pong")
            assert daemon.stop() == 0
        # sent while the base is away: the broker keeps it for the base's session
        publish(broker.port, command(1_790_000_003, BroadcastRequest("village:47", 6)))
        with DaemonProcess(config.source) as daemon:
            wait_for(lambda: query(db, "SELECT COUNT(*) FROM broadcasts") == [(2,)], 20,
                     what="the command sent while the base was away")
            wait_for(lambda: len(modem.sent) == 3, 10, what="its SMS")
            assert daemon.stop() == 0
    assert sorted(s.number for s in modem.sent) == ["+243990000101", "+243990000103",
                                                    "+243990000104"]
    rows = outcomes(db)
    assert [(via, counter, accepted) for via, counter, accepted, _ in rows] == [
        ("mqtt", 1_790_000_000, 1), ("mqtt", None, 0), ("mqtt", None, 0), ("mqtt", None, 0),
        ("mqtt", 1_790_000_002, 1), ("mqtt", 1_790_000_003, 1)]
    assert "authentication failed" in rows[1][3]
    assert "carried out already" in rows[2][3]
    assert "replayed or out of order" in rows[3][3]
    assert events(hq, "pong")[0]["counter"] == 1_790_000_002
    assert daemon.log.count("on the command topic") >= 3 and KEY not in daemon.log
    assert query(db, "SELECT origin, counter, by FROM broadcasts ORDER BY id") == [
        ("mqtt", 1_790_000_000, "headquarters"), ("mqtt", 1_790_000_003, "headquarters")]


def test_a_satellite_broadcast_is_carried_out_once_and_reported_in_the_status_reply(
        tmp_path, modem, broker):
    (tmp_path / "command.key").write_text(KEY + "\n")
    (tmp_path / "command.key").chmod(0o600)  # a key others can read is refused
    with SimulatedSbdModem(session_time=0.05) as satellite:
        sbd = (f'\n[sbd]\nport = "{satellite.path}"\ncommand_key_file = "command.key"\n'
               'session_timeout = 5\n')
        config, store = make_base(tmp_path, QUICK + sbd, modem.path, broker.port)
        store.close()
        db = config.store.path
        request = BroadcastRequest("zone:north AND group:chiefs", 1, ("Kamango",))
        key = KEY.encode()
        by_satellite = commands.sign(key, "KWJ", commands.Command(
            1_790_000_000, commands.BROADCAST, encode_broadcast(request)))
        with DaemonProcess(config.source) as daemon:
            wait_for(lambda: query(db, "SELECT 1 FROM link_status WHERE link = 'sbd' AND"
                                       " state = 'up'"), 20, what="the satellite link up")
            satellite.queue_mt(by_satellite)
            wait_for(lambda: len(modem.sent) == 2, 20, what="the broadcast's SMS")
            satellite.queue_mt(by_satellite)  # the same message again
            publish(broker.port, sign_mqtt(key, "KWJ", HqCommand(  # and the same command by MQTT
                1_790_000_000, "broadcast", BroadcastRequest(request.target, 1,
                                                             {"place": "Kamango"}))))
            wait_for(lambda: len(outcomes(db)) == 3, 20, what="both refused")
            satellite.queue_mt(commands.sign(key, "KWJ", commands.Command(
                1_790_000_001, commands.PING)))
            wait_for(lambda: satellite.sent, 20, what="the status reply")
            assert daemon.stop() == 0
    (reply,) = [decode_message(message) for _, message in satellite.sent]
    assert isinstance(reply, StatusReply) and reply.counter == 1_790_000_001
    (summary,) = reply.broadcasts
    assert (summary.counter, summary.number, summary.recipients) == (1_790_000_000, 1, 2)
    assert summary.sent + summary.delivered == 2
    assert sorted(s.number for s in modem.sent) == ["+243990000101", "+243990000103"]
    rows = outcomes(db)
    assert rows[0] == ("sbd", 1_790_000_000, 1, "broadcast KWJ-B0001 queued for 2 recipient(s)")
    assert sorted((via, accepted) for via, _, accepted, _ in rows[1:3]) == [("mqtt", 0),
                                                                          ("sbd", 0)]
    assert all("replayed or out of order" in outcome for *_, outcome in rows[1:3])
    assert rows[3][:3] == ("sbd", 1_790_000_001, 1)
    assert query(db, "SELECT COUNT(*) FROM broadcasts") == [(1,)]


def test_hq_command_builds_both_forms_with_one_counter(tmp_path):
    from tests.hq.test_hq_bridge import KEY as HQ_KEY
    from tests.hq.test_hq_bridge import write_hq_config

    config = write_hq_config(tmp_path, 1883, 8080)
    result = CliRunner().invoke(cli, ["hq-command", "-c", str(config), "KWJ", "broadcast",
                                      "--target", "zone:north", "--template", "1", "--param",
                                      "Kamango", "--language", "sw"])
    assert result.exit_code == 0, result.output
    satellite, mqtt = result.stdout.splitlines()[:2]
    by_satellite = commands.verify(HQ_KEY.encode(), "KWJ", bytes.fromhex(satellite), 0)
    by_mqtt = json.loads(json.loads(mqtt)["body"])
    assert by_satellite.counter == by_mqtt["counter"] and by_mqtt["command"] == "broadcast"
    assert by_mqtt["params"] == ["Kamango"] and by_mqtt["languages"] == ["sw"]
    refused = CliRunner().invoke(cli, ["hq-command", "-c", str(config), "KWJ", "broadcast",
                                       "--target", "all"])
    assert refused.exit_code != 0
