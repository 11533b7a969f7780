"""The headquarters bridge as it runs (`cangw hq-bridge` in a child process): real HTTP posts
in the provider's webhook format, a real mosquitto, its SQLite file."""

from __future__ import annotations

import json
import subprocess
import sys
import urllib.error
import urllib.request
from contextlib import contextmanager
from urllib.parse import urlencode

import pytest
from click.testing import CliRunner

from gateway.cli import cli
from gateway.sbd import commands
from gateway.sbd.batch import SatAlert, encode_batch
from gateway.sbd.packed import encode_message
from gateway.sbd.reply import StatusReply, Wiped, encode_reply, encode_wiped
from gateway.sim.broker import Broker, free_port
from gateway.sim.gate import Gate
from gateway.sim.harness import MqttListener, query, wait_for

IMEI = "300234010753370"
SECRET = "webhook-secret-for-tests"
KEY = "hq-and-kwj-share-this-key-0123456789"
ALERTS = [SatAlert(seq=193, received_at=1_790_000_000, code="2", village=12,
                   sender="fp-ef6f0623a3"),
          SatAlert(seq=195, received_at=1_790_000_075, code="1", language="sw", village=99,
                   sender="fp-0123456789", registered=False, count=15, text="hommes armés",
                   text_truncated=True),
          SatAlert(seq=196, received_at=1_790_000_070, code=None, channel="hf",
                   sender="fp-ef6f0623a3", text="tirs entendus")]
BATCH = encode_batch("KWJ", "71b6", ALERTS)
SCHEMA_1 = {"schema", "id", "ref", "base", "channel", "received_at", "code", "code_words",
            "category", "severity", "urgency", "village", "count", "text", "unparsed", "sender",
            "sender_registered", "language", "parts", "partial", "repeats", "entered_by",
            "heard_via", "incident", "throttled"}


def write_hq_config(folder, mqtt_port, http_port, extra="", bases="",
                    secret_line='secret_file = "secret"'):
    """hq.toml for base KWJ (modem IMEI); `extra`: more [http] lines; `bases`: more tables."""
    for name, text in (("secret", SECRET + "\n"), ("kwj.key", KEY)):
        (folder / name).write_text(text)
        (folder / name).chmod(0o600)  # a secret others can read is refused
    (folder / "kwj-villages.csv").write_text("number,name\n12,Kamango\n204,Mutwanga\n")
    path = folder / "hq.toml"
    path.write_text(
        f'[http]\nhost = "127.0.0.1"\nport = {http_port}\n{secret_line}\n{extra}\n'
        f'[mqtt]\nhost = "127.0.0.1"\nport = {mqtt_port}\nreconnect_max = 1\n\n[store]\npath = "hq.db"\n\n'
        f'[[base]]\nid = "KWJ"\nimeis = ["{IMEI}"]\nvillages = "kwj-villages.csv"\n'
        f'command_key_file = "kwj.key"\n{bases}')
    return path


@contextmanager
def running_bridge(config_path):
    log = open(config_path.parent / "bridge.log", "a")  # noqa: SIM115 - closed below
    process = subprocess.Popen([sys.executable, "-m", "gateway", "hq-bridge", "-c",
                                str(config_path)], stdout=log, stderr=subprocess.STDOUT)
    try:
        yield process
    finally:
        process.terminate()
        try:
            assert process.wait(20) == 0
        finally:
            if process.poll() is None:
                process.kill()
            log.close()


def post(port, fields=None, body=None, content_type="application/x-www-form-urlencoded",
         path="/rockblock"):
    data = body if body is not None else urlencode(fields).encode()
    request = urllib.request.Request(f"http://127.0.0.1:{port}{path}", data=data,
                                     headers={"Content-Type": content_type})
    try:
        with urllib.request.urlopen(request, timeout=10) as answer:
            return answer.status, answer.read().decode()
    except urllib.error.HTTPError as error:
        return error.code, error.read().decode()


def delivery(momsn=7, data=BATCH, **changes):
    return {"imei": IMEI, "momsn": str(momsn), "transmit_time": "26-09-21 14:33:20",
            "iridium_latitude": "0.6385", "iridium_longitude": "29.8773", "iridium_cep": "3",
            "data": data.hex() if isinstance(data, bytes) else data, "secret": SECRET, **changes}


@pytest.fixture
def bridge(tmp_path, broker):
    http_port = free_port()
    config = write_hq_config(tmp_path, broker.port, http_port)
    with MqttListener(broker.port) as listener, running_bridge(config):
        wait_for(lambda: _health(http_port), 15, what="the bridge listening")
        yield http_port, listener, tmp_path / "hq.db"


def _health(port):
    try:
        with urllib.request.urlopen(f"http://127.0.0.1:{port}/health", timeout=2) as answer:
            return json.loads(answer.read())
    except OSError:
        return None


def test_each_alert_is_published_once_in_the_bases_own_json(bridge):
    port, listener, db = bridge
    assert post(port, delivery()) == (200, "OK\n")
    alerts = wait_for(lambda: len(listener.json_on("KWJ/alerts")) == 3
                      and listener.json_on("KWJ/alerts"), 15, what="three alerts on MQTT")
    assert [a["id"] for a in alerts] == ["KWJ-71b6-193", "KWJ-71b6-195", "KWJ-71b6-196"]
    first, second, third = alerts
    assert first["ref"] == "KWJ-0193" and first["code"] == "2"
    assert (first["severity"], first["category"], first["urgency"]) == (
        "Extreme", "attack", "Immediate")
    assert first["code_words"]["en"] == "Attack under way"
    assert first["village"] == {"number": 12, "name": "Kamango"}
    assert first["received_at"] == "2026-09-21T14:13:20.000Z"
    assert first["sender"] == "fp-ef6f0623a3" and first["sender_registered"] is True
    assert first["via"] == "satellite" and first["satellite"]["momsn"] == 7
    assert second["village"] == {"number": 99, "name": None}  # not in headquarters' list
    assert (second["count"], second["text"], second["text_truncated"]) == (
        15, "hommes armés", True)
    assert second["sender_registered"] is False and second["language"] == "sw"
    assert (third["unparsed"], third["severity"], third["channel"]) == (True, "Unknown", "hf")
    # the same fields as the alert a base publishes over the internet, plus the satellite's
    assert set(first) == SCHEMA_1 | {"via", "text_truncated", "satellite"}
    assert post(port, delivery()) == (200, "OK (already received)\n")
    later = encode_batch("KWJ", "71b6", [SatAlert(seq=197, received_at=1_790_000_100, code="3",
                                                  village=12, sender="fp-ef6f0623a3")])
    assert post(port, delivery(momsn=8, data=later)) == (200, "OK\n")
    wait_for(lambda: len(listener.json_on("KWJ/alerts")) == 4, 15, what="the second delivery")
    wait_for(lambda: query(db, "SELECT momsn, state FROM deliveries ORDER BY id") == [
        (7, "published"), (8, "published")], 15, what="both deliveries marked published")


MALFORMED = [
    ({"imei": ""}, 400, "imei: missing"),
    ({"imei": "12345"}, 400, "imei: expected 15 digits"),
    ({"momsn": "70000"}, 400, "momsn: expected a number from 0 to 65535"),
    ({"data": "zz"}, 400, "data: expected the message in hexadecimal"),
    ({"data": "00" * 341}, 400, "data: a message is 1 to 340 bytes"),
    ({"transmit_time": "yesterday"}, 400, "transmit_time: expected YY-MM-DD HH:MM:SS"),
    ({"iridium_latitude": "91"}, 400, "iridium_latitude: expected -90 to 90"),
    ({"secret": "guess"}, 403, "missing or wrong shared secret"),
    # digits are ASCII digits, numbers within their range: never a 500
    ({"momsn": "9" * 5000}, 400, "momsn: expected a number from 0 to 65535"),
    ({"momsn": "\u0663"}, 400, "momsn: expected a number from 0 to 65535"),
    ({"momsn": "1_0"}, 400, "momsn: expected a number from 0 to 65535"),
    ({"imei": "\u0663" * 15}, 400, "imei: expected 15 digits"),
    ({"imei": "\uff13" * 15}, 400, "imei: expected 15 digits"),
    ({"iridium_latitude": "\u0663"}, 400, "iridium_latitude: expected a number"),
    ({"iridium_longitude": "1_0"}, 400, "iridium_longitude: expected a number"),
    ({"iridium_longitude": "nan"}, 400, "iridium_longitude: expected a number"),
    ({"iridium_latitude": "1" * 5000}, 400, "iridium_latitude: expected a number"),
    ({"transmit_time": "\u0662\u0666-09-21 14:33:20"}, 400, "transmit_time: expected YY-MM-DD"),
    ({"data": "07 ff"}, 400, "data: expected the message in hexadecimal"),
    ({"data": "07ff"}, 422, "data is not a cangw message: message ends inside base id"),
]


def test_malformed_posts_get_a_4xx_and_the_reason(bridge):
    port, listener, db = bridge
    for momsn, (fields, status, reason) in enumerate(MALFORMED):
        answer = post(port, delivery(**{"momsn": momsn, **fields}))
        assert answer[0] == status and answer[1].startswith(reason), fields
        assert _health(port) is not None  # still serving
    # the undecodable one is kept for a person to look at; the others were not deliveries
    assert query(db, "SELECT data, state, error FROM deliveries") == [
        ("07ff", "undecodable", "message ends inside base id (offset 2, 255 bytes needed, "
                                "0 left)")]
    assert listener.json_on("KWJ/alerts") == []


def test_requests_that_are_not_deliveries(bridge):
    port, _, _ = bridge
    assert post(port, delivery(), path="/other")[0] == 404
    assert post(port, body=b"<xml/>", content_type="text/xml")[0] == 415
    assert post(port, body=b"\xff\xfe=%%%", content_type="application/x-www-form-urlencoded"
                )[0] == 400
    assert post(port, body=b"[1, 2]", content_type="application/json")[0] == 400
    assert post(port, body=b"x" * 20000)[0] == 413
    assert post(port, body=json.dumps(delivery(momsn=9)).encode(),
                content_type="application/json") == (200, "OK\n")
    for length in ("\u0663", "1_0", "+3", "9" * 5000):
        with socket_to(port) as sock:
            sock.sendall(f"POST /rockblock HTTP/1.0\r\nContent-Length: {length}\r\n\r\n"
                         .encode())
            assert sock.recv(100).startswith(b"HTTP/1.0 400"), length
    with socket_to(port) as sock:  # not HTTP at all
        sock.sendall(b"\x00\x01garbage\r\n\r\n")
    assert _health(port) is not None


@contextmanager
def socket_to(port):
    import socket
    sock = socket.create_connection(("127.0.0.1", port), timeout=5)
    try:
        yield sock
        sock.recv(1000)
    finally:
        sock.close()


def test_a_status_reply_becomes_an_event(bridge):
    port, listener, _ = bridge
    reply = StatusReply("KWJ", "71b6", 1_790_000_000, 1_789_999_990, 3, 12, 50, 2, 5, 204,
                        "gsm=up mqtt=down sbd=up")
    assert post(port, delivery(momsn=11, data=encode_reply(reply)))[0] == 200
    (event,) = wait_for(lambda: listener.json_on("KWJ/events"), 15, what="the status event")
    assert event["event"] == "satellite_status" and event["ping_counter"] == 1_789_999_990
    assert event["links"] == {"gsm": "up", "mqtt": "down", "sbd": "up"}
    assert (event["signal"], event["credits_used_today"], event["waiting"]) == (3, 12, 2)


def test_a_wiped_notice_becomes_a_wiped_event(bridge):
    port, listener, _ = bridge
    notice = encode_wiped(Wiped("KWJ", "71b6", 1_790_000_000))
    assert len(notice) == 11  # the header alone: one credit
    assert post(port, delivery(momsn=12, data=notice))[0] == 200
    (event,) = wait_for(lambda: listener.json_on("KWJ/events"), 15, what="the wiped event")
    assert (event["event"], event["base"], event["time"], event["via"]) == (
        "wiped", "KWJ", "2026-09-21T14:13:20.000Z", "satellite")


def test_deliveries_wait_for_a_broker_that_is_down(tmp_path):
    broker_port, http_port = free_port(), free_port()
    config = write_hq_config(tmp_path, broker_port, http_port)
    with running_bridge(config):
        wait_for(lambda: _health(http_port), 15, what="the bridge listening")
        assert post(http_port, delivery()) == (200, "OK\n")
        assert _health(http_port) == {"mqtt": False, "authenticated": True, "pending": 1}
        with Broker() as broker, MqttListener(broker.port) as listener, \
                Gate(broker_port, broker.port):  # listening before the bridge gets through
            wait_for(lambda: len(listener.json_on("KWJ/alerts")) == 3, 60,
                     what="the alerts once the broker is up")
            wait_for(lambda: _health(http_port).get("published") == 1, 15, what="published")


def test_hq_command_makes_pings_the_base_accepts_once(tmp_path):
    config = write_hq_config(tmp_path, 1883, free_port())
    runner = CliRunner()
    first = runner.invoke(cli, ["hq-command", "-c", str(config), "KWJ", "ping"])
    second = runner.invoke(cli, ["hq-command", "-c", str(config), "KWJ", "ping"])
    assert first.exit_code == 0, first.output
    one = bytes.fromhex(first.stdout.splitlines()[0])
    two = bytes.fromhex(second.stdout.splitlines()[0])
    command = commands.verify(KEY.encode(), "KWJ", one, 0)
    assert command.name == "ping"
    assert commands.verify(KEY.encode(), "KWJ", two, command.counter).counter > command.counter
    wipe = runner.invoke(cli, ["hq-command", "-c", str(config), "KWJ", "wipe"])
    assert commands.verify(KEY.encode(), "KWJ", bytes.fromhex(wipe.stdout.splitlines()[0]),
                           command.counter).name == "wipe"
    unknown = runner.invoke(cli, ["hq-command", "-c", str(config), "BNI", "ping"])
    assert unknown.exit_code != 0 and "no [[base]] with id = 'BNI'" in unknown.output


def test_hq_config_errors_name_the_key(tmp_path):
    config = write_hq_config(tmp_path, 1883, 70000)
    result = CliRunner().invoke(cli, ["hq-bridge", "-c", str(config)])
    assert result.exit_code != 0
    assert "[http] port: expected a TCP port" in result.output


def test_the_example_hq_config_is_valid():
    from pathlib import Path

    from gateway.hq.config import load_hq_config

    config = load_hq_config(Path(__file__).parents[2] / "firmware-config" / "hq.example.toml")
    assert config.http.path == "/rockblock" and config.mqtt.topic_prefix == "can/v1"
    kwj = config.base("KWJ")
    assert kwj.command_key_file is not None and kwj.villages is not None and kwj.imeis
    assert config.http.secret_file is not None and not config.http.allow_unauthenticated


def test_a_version_2_batch_publishes_its_alerts_with_their_incident_and_the_incident(bridge):
    from tests.sbd.test_sbd_packed import EXAMPLE_ALERTS, EXAMPLE_INCIDENT
    port, listener, _ = bridge
    data = encode_message("KWJ", "71b6", EXAMPLE_ALERTS, [EXAMPLE_INCIDENT])
    assert post(port, delivery(momsn=21, data=data)) == (200, "OK\n")
    incidents = wait_for(lambda: listener.json_on("KWJ/incidents"), 15, what="the incident")
    alerts = wait_for(lambda: len(listener.json_on("KWJ/alerts")) == 3
                      and listener.json_on("KWJ/alerts"), 15, what="the alerts")
    (incident,) = incidents
    assert (incident["id"], incident["version"], incident["state"], incident["level"]) == (
        "KWJ-71b6-I41", 3, "seen", "corroborated")
    assert incident["categories"] == ["attack", "armed_presence"]
    assert incident["villages"] == [{"number": 12, "name": "Kamango"}]
    assert incident["alerts"] == ["KWJ-71b6-193", "KWJ-71b6-195"]
    assert incident["via"] == "satellite" and incident["satellite"]["momsn"] == 21
    assert [a["incident"] for a in alerts] == ["KWJ-71b6-I41", "KWJ-71b6-I41", None]
