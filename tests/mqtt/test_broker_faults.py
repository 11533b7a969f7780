"""Broker faults: refused credentials and TLS failures are said clearly and retried with
backoff; alerts wait on disk for a broker that is down and leave in order when it returns
(bench/backlog.py does it with 5,000 and measures the daemon's memory meanwhile)."""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest

from gateway.mqtt.config import MqttConfig
from gateway.mqtt.link import MqttLink
from gateway.sim.broker import Broker, free_port
from gateway.sim.gate import Gate
from gateway.sim.harness import (
    DaemonProcess,
    MqttListener,
    link_state,
    query,
    queue_alerts,
    wait_for,
    write_config,
)
from tests.waiting import wait_until_done

BACKLOG = 300  # more than the uplink keeps in flight (20), so it drains in many windows


def test_alerts_wait_on_disk_for_a_broker_that_is_down_and_leave_in_order(tmp_path):
    port = free_port()
    config = write_config(tmp_path, mqtt_port=port)
    db = tmp_path / "gateway.db"
    queue_alerts(config, 10)
    with DaemonProcess(config) as daemon:
        wait_for(lambda: link_state(db, "mqtt").get("state") == "down", timeout=20,
                 what="mqtt down")
        queue_alerts(config, BACKLOG - 10)
        with Broker() as broker, MqttListener(broker.port, "can/v1/KWJ/alerts") as hq, \
                Gate(port, broker.port):
            wait_for(lambda: len({p["id"] for p in hq.json_on("/alerts")}) >= BACKLOG,
                     timeout=60, interval=0.2, what="every alert at headquarters")
            wait_until_done(db, "mqtt")  # each PUBACK is back, not only each alert
            assert daemon.stop() == 0
            arrived = list(dict.fromkeys(p["ref"] for p in hq.json_on("/alerts")))
    expected = [ref for ref, in query(
        db, "SELECT a.ref FROM outbox o JOIN alerts a ON a.id = o.alert_id"
            " WHERE o.destination = 'mqtt' ORDER BY o.priority, o.id")]
    assert arrived == expected  # most severe first, then oldest


@pytest.fixture
def passwords(tmp_path):
    hashed = tmp_path / "mosquitto-passwords"
    subprocess.run(["mosquitto_passwd", "-b", "-c", str(hashed), "kwj", "right-one"], check=True)
    return hashed


def test_refused_credentials_are_said_once_retried_and_fixed_without_restart(
        tmp_path, passwords):
    secret = tmp_path / "mqtt-password"
    secret.write_text("wrong-one\n")
    secret.chmod(0o600)  # a password file others can read is refused
    with Broker(password_file=passwords) as broker:
        config = write_config(tmp_path, mqtt_port=broker.port,
                              mqtt=f'username = "kwj"\npassword_file = "{secret}"\n')
        db = tmp_path / "gateway.db"
        queue_alerts(config, 3)
        with DaemonProcess(config) as daemon, \
                MqttListener(broker.port, login=("kwj", "right-one")) as hq:
            wait_for(lambda: "refused" in (link_state(db, "mqtt").get("error") or ""), timeout=20,
                     what="the refusal in status")
            wait_for(lambda: broker.log.count("not authorised") >= 4, timeout=20,
                     what="three retries, refused too")  # a second apart ([mqtt] reconnect_max)
            assert daemon.process.poll() is None  # no crash, no crash loop
            assert daemon.log.count("broker refused the connection: Not authorized") == 1
            assert "right-one" not in daemon.log and "wrong-one" not in daemon.log
            secret.write_text("right-one\n")  # the technician fixes the file
            wait_for(lambda: len(hq.json_on("/alerts")) >= 3, timeout=20, interval=0.2,
                     what="delivery once the password is right")
            assert link_state(db, "mqtt")["state"] == "up"
            assert daemon.stop() == 0


def _certificate(folder: Path, name: str) -> tuple[Path, Path]:
    cert, key = folder / f"{name}.pem", folder / f"{name}.key"
    subprocess.run(["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "2",
                    "-subj", f"/CN={name}", "-addext", "subjectAltName=IP:127.0.0.1",
                    "-keyout", str(key), "-out", str(cert)], check=True, capture_output=True)
    return cert, key


def test_tls_failure_is_said_clearly_and_a_trusted_broker_connects(tmp_path):
    broker_cert = _certificate(tmp_path, "broker")
    other_ca, _ = _certificate(tmp_path, "someone-else")
    with Broker(tls=broker_cert) as broker:
        config = write_config(tmp_path, mqtt_port=broker.port,
                              mqtt=f'tls = true\nca_file = "{other_ca}"\n')
        db = tmp_path / "gateway.db"
        with DaemonProcess(config) as daemon:
            error = wait_for(lambda: link_state(db, "mqtt").get("error"), timeout=20, what="an error")
            assert error.startswith("TLS failure: the broker's certificate is not trusted")
            wait_for(lambda: broker.log.count("New connection from") >= 3, timeout=20,
                     what="two more handshakes, failed too")  # a second apart
            assert daemon.process.poll() is None
            assert daemon.log.count("TLS failure") == 1
        trusted = MqttLink(MqttConfig(host="127.0.0.1", port=broker.port, tls=True,
                                      ca_file=broker_cert[0]), "trusting", "t/status", b"off")
        trusted.start()
        try:
            assert trusted.connected.wait(10), trusted.last_error
        finally:
            trusted.stop()
