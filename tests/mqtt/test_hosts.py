"""Several brokers (`[mqtt] hosts`): the link moves to the next on failure, round the list and
back, under the same backoff; after any reconnection the retained status is published at once
(the broker may hold the base's last will meanwhile). Real mosquitto brokers, the real daemon."""

from __future__ import annotations

import pytest

from gateway.config import load_config
from gateway.errors import ConfigError
from gateway.sim.broker import Broker, free_port
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

BASE = '[base]\nid = "KWJ"\nname = "Kiwanja"\n[store]\npath = "gw.db"\n[mqtt]\n'


@pytest.mark.parametrize(("lines", "expected"), [
    ('hosts = ["hq1.example.org", "hq2.example.org:8884", "[fd00::3]:1884"]\nport = 8883\n',
     [("hq1.example.org", 8883), ("hq2.example.org", 8884), ("fd00::3", 1884)]),
    ('host = "hq.example.org"\n', [("hq.example.org", 1883)]),
])
def test_broker_addresses_in_the_order_they_are_tried(tmp_path, lines, expected):
    path = tmp_path / "gateway.toml"
    path.write_text(BASE + lines)
    assert load_config(path).mqtt.addresses() == expected


@pytest.mark.parametrize(("lines", "error"), [
    ('host = "hq"\nhosts = ["hq1", "hq2"]\n', "[mqtt] host: expected either host"),
    ('port = 8883\n', "[mqtt] host: expected either host"),
    ('hosts = ["hq1", "hq2:port"]\n', "[mqtt] hosts: expected broker addresses"),
    ('hosts = ["hq1:99999"]\n', "[mqtt] hosts: expected broker addresses"),
    ('hosts = "hq1"\n', "[mqtt] hosts: expected a list"),
])
def test_a_wrong_broker_list_is_refused_with_the_key_named(tmp_path, lines, error):
    path = tmp_path / "gateway.toml"
    path.write_text(BASE + lines)
    with pytest.raises(ConfigError, match=r"gateway\.toml: " + error.replace("[", r"\[").replace("]", r"\]")):
        load_config(path)


def _delivered(listener: MqttListener) -> set[str]:
    return {payload["id"] for payload in listener.json_on("/alerts")}


def _uids(db) -> set[str]:
    return {uid for uid, in query(db, "SELECT uid FROM alerts")}


def test_the_link_moves_to_the_next_broker_and_comes_back(tmp_path):
    first, second = free_port(), free_port()
    config = write_config(tmp_path, mqtt_port=first,
                          mqtt=f'hosts = ["127.0.0.1", "127.0.0.1:{second}"]\n')
    config.write_text(config.read_text().replace('host = "127.0.0.1"\n', "", 1))
    db = tmp_path / "gateway.db"
    with Broker(port=first) as one, MqttListener(first, "can/v1/KWJ/#") as at_one, \
            Broker(port=second) as two, MqttListener(second, "can/v1/KWJ/#") as at_two, \
            DaemonProcess(config) as daemon:
        queue_alerts(config, 3)
        wait_for(lambda: len(_delivered(at_one)) == 3, timeout=20, what="three alerts on the first")
        assert link_state(db, "mqtt")["broker"] == f"127.0.0.1:{first}"
        one.stop()
        queue_alerts(config, 3)
        wait_for(lambda: _delivered(at_one) | _delivered(at_two) == _uids(db), timeout=20,
                 what="the next three through the second broker")
        assert link_state(db, "mqtt")["broker"] == f"127.0.0.1:{second}"
        one.start()
        at_one.close()
        with MqttListener(first, "can/v1/KWJ/#") as back:
            two.stop()
            queue_alerts(config, 3)
            wait_for(lambda: _uids(db) <= _delivered(at_one) | _delivered(at_two) | _delivered(back),
                     timeout=20, what="the last three through the first broker again")
            assert len(_delivered(back)) >= 3
            assert link_state(db, "mqtt")["broker"] == f"127.0.0.1:{first}"
            wait_until_done(db, "mqtt")  # each PUBACK is back, not only each alert
        assert daemon.stop() == 0
    assert daemon.log.count(f"MQTT connected to 127.0.0.1:{first}") == 2


def test_a_reconnected_base_publishes_its_status_at_once(tmp_path):
    """The status interval is a minute and nothing in the status changed, yet a new connection
    brings a status within seconds: the broker may be holding the base's will by then."""
    port = free_port()
    config = write_config(tmp_path, mqtt_port=port)
    config.write_text(config.read_text().replace("status_interval = 5", "status_interval = 60"))
    with Broker(port=port) as broker, DaemonProcess(config) as daemon:
        with MqttListener(port, "can/v1/KWJ/status") as hq:
            wait_for(lambda: hq.json_on("/status"), timeout=20, what="the first status")
        broker.stop()
        broker.start()  # no persistence: the broker remembers no retained status
        with MqttListener(port, "can/v1/KWJ/status") as hq:
            status = wait_for(lambda: hq.json_on("/status"), timeout=15, what="a status after reconnecting")
        assert status[0]["state"] == "online" and status[0]["base"] == "KWJ"
        assert daemon.stop() == 0
