"""End to end with the internet down: an SMS alert leaves the real daemon by the simulated
satellite modem, reaches headquarters through `cangw hq-bridge` (HTTP) and mosquitto, and when
the base's MQTT link returns the same alert arrives again with the same id."""

from __future__ import annotations

import json

from gateway.sim.broker import Broker, free_port
from gateway.sim.gate import Gate
from gateway.sim.harness import DaemonProcess, MqttListener, query, wait_for, write_config
from gateway.sim.sbd_modem import IMEI, SimulatedSbdModem
from gateway.store import Store
from tests.hq.test_hq_bridge import SECRET, _health, post, running_bridge, write_hq_config
from tests.test_end_to_end import PHONE_FR, _register
from tests.waiting import wait_until_done


def test_an_alert_crosses_the_satellite_and_mqtt_later_merges_by_id(tmp_path, modem):
    broker_port, http_port = free_port(), free_port()
    sbd = ('\n[sbd]\nport = "{}"\nfallback_after = {{ Extreme = 1, Severe = 1 }}\n'
           'session_timeout = 5\n')
    with SimulatedSbdModem(session_time=0.05) as satellite:
        config = write_config(tmp_path, modem.path, broker_port, extra=sbd.format(satellite.path))
        db = tmp_path / "gateway.db"
        _register(db)
        hq_folder = tmp_path / "hq"
        hq_folder.mkdir()
        hq = write_hq_config(hq_folder, broker_port, http_port)
        (hq_folder / "kwj-villages.csv").write_text("number,name\n12,Kamango\n")
        with DaemonProcess(config) as daemon:
            wait_for(lambda: query(db, "SELECT 1 FROM link_status WHERE link = 'sbd' AND"
                                       " state = 'up'"), 20, what="the satellite link up")
            modem.inject_sms(PHONE_FR, "alerte 2 kamango 15 hommes armés")
            modem.inject_sms(PHONE_FR, "9 kamango")  # Minor: stays on the ground
            wait_for(lambda: satellite.sent, 30, what="a satellite message")
            momsn, message = satellite.sent[0]
            with running_bridge(hq):
                wait_for(lambda: _health(http_port), 20, what="the bridge listening")
                assert post(http_port, {"imei": IMEI, "momsn": momsn, "data": message.hex(),
                                        "secret": SECRET}) == (200, "OK\n")
                with Broker() as broker, MqttListener(broker.port) as listener, \
                        Gate(broker_port, broker.port):  # headquarters listens first
                    alerts = wait_for(lambda: len(listener.json_on("KWJ/alerts")) >= 3
                                      and listener.json_on("KWJ/alerts"), 90,
                                      what="the alert by satellite and both over MQTT")
                    wait_until_done(db, "mqtt")  # each PUBACK is back, not only each alert
            status = json.loads(query(db, "SELECT detail FROM link_status WHERE link = 'sbd'"
                                      )[0][0])
            assert daemon.stop() == 0
    by_satellite = [a for a in alerts if a.get("via") == "satellite"]
    direct = {a["id"]: a for a in alerts if "via" not in a}
    assert len(by_satellite) == 1 and len(direct) == 2
    merged = by_satellite[0]
    base_copy = direct[merged["id"]]
    with Store.open(db) as store:
        assert merged["id"] == f"KWJ-{store.instance}-1"
    for key in ("ref", "code", "severity", "category", "village", "count", "text", "sender",
                "sender_registered", "language", "channel", "unparsed"):
        assert merged[key] == base_copy[key], key
    assert merged["received_at"][:19] == base_copy["received_at"][:19]  # to the second
    assert merged["sender"].startswith("fp-") and PHONE_FR not in json.dumps(alerts)
    assert query(db, "SELECT o.destination, o.state, o.last_error FROM outbox o JOIN alerts a"
                     " ON a.id = o.alert_id WHERE a.seq = 1 AND o.destination != 'sms'"
                     " ORDER BY o.destination") == [("mqtt", "done", None), ("sbd", "done", None)]
    assert status["credits_used_today"] == 1 and status["waiting"] == 0


def test_the_daemon_is_ready_as_soon_as_the_satellite_modem_answers(tmp_path):
    """READY=1 says "running" once the modem is open, not "not up yet: sbd" after 30 s."""
    from tests.test_supervision import NotifySocket

    notify = NotifySocket(tmp_path)
    try:
        with SimulatedSbdModem(session_time=0.05) as satellite:
            config = write_config(tmp_path, extra=f'\n[sbd]\nport = "{satellite.path}"\n')
            with DaemonProcess(config, env={"NOTIFY_SOCKET": str(notify.path)}) as daemon:
                wait_for(lambda: notify.times("READY=1"), 15, what="READY=1")
                assert daemon.stop() == 0
        assert "STATUS=running" in [line for _, line in notify.received]
    finally:
        notify.close()
