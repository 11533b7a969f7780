"""The real daemon against the simulated modem and a real mosquitto: SMS in, alert, ack, MQTT."""

from __future__ import annotations

import re

from gateway.sim.broker import Broker, free_port
from gateway.sim.gate import Gate
from gateway.sim.harness import (
    DaemonProcess,
    MqttListener,
    query,
    wait_for,
    wait_until_gsm_up,
    write_config,
)
from gateway.store import Store
from gateway.store import registry as reg
from tests.acks import expected_ack
from tests.conftest import VILLAGES

PHONE_FR, PHONE_SW = "+243990000101", "+243990000102"
UNKNOWN = "+243997770001"


def _register(db_path):
    with Store.open(db_path) as store:
        for village in VILLAGES:
            reg.save_village(store, village)
        reg.save_focal_point(store, reg.make_focal_point(store, PHONE_FR, "Kahindo Masika", "12",
                                                         "fr", "+243"))
        reg.save_focal_point(store, reg.make_focal_point(store, PHONE_SW, "Baraka Mumbere", "204",
                                                         "sw", "+243"))


def _alerts(db):
    return query(db, "SELECT ref, code, village_name, count, language, registered, unseal(text)"
                     " FROM alerts ORDER BY id")


def test_sms_becomes_alert_acknowledgement_and_mqtt_message(tmp_path, modem, broker):
    config = write_config(tmp_path, modem.path, broker.port)
    db = tmp_path / "gateway.db"
    _register(db)
    with MqttListener(broker.port) as hq, DaemonProcess(config) as daemon:
        wait_until_gsm_up(db, daemon)
        modem.inject_sms(PHONE_FR, "alerte 2 kamango 15 hommes armés")
        modem.inject_sms(PHONE_SW, "hatari 3")
        modem.inject_sms(UNKNOWN, "Watu wamekuja usiku, tunaogopa sana. Msaada! 🙏")

        acks = wait_for(lambda: len(modem.sent) >= 3 and modem.sent, what="three acks")
        published = wait_for(lambda: len(hq.json_on("/alerts")) >= 3 and hq.json_on("/alerts"),
                             what="three MQTT alerts")
        assert daemon.stop() == 0

    rows = _alerts(db)
    assert [(r[0], r[1], r[2], r[3], r[4], r[5]) for r in rows] == [
        ("KWJ-0001", "2", "Kamango", 15, "fr", 1),
        ("KWJ-0002", "3", "Mutwanga", None, "sw", 1),
        ("KWJ-0003", None, None, None, "fr", 0),
    ]
    assert rows[2][6] == "Watu wamekuja usiku, tunaogopa sana. Msaada! 🙏"

    by_number = {a.number: a.text for a in acks}
    assert expected_ack("KWJ-0001", "fr", "2", "Kamango").fullmatch(by_number[PHONE_FR])
    assert expected_ack("KWJ-0002", "sw", "3", "Mutwanga").fullmatch(by_number[PHONE_SW])
    assert expected_ack("KWJ-0003", "fr").fullmatch(by_number[UNKNOWN])
    assert all(len(text) <= 160 for text in by_number.values())

    first = next(p for p in published if p["ref"] == "KWJ-0001")
    assert first["base"] == "KWJ" and first["channel"] == "sms"
    assert first["code"] == "2" and first["severity"] == "Extreme" and first["urgency"] == "Immediate"
    assert first["code_words"]["sw"] == "Shambulio linaendelea"
    assert first["village"] == {"number": 12, "name": "Kamango"}
    assert first["count"] == 15 and first["text"] == "hommes armés"
    assert first["sender_registered"] is True
    assert re.fullmatch(r"fp-[0-9a-f]{10}", first["sender"])
    assert re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z", first["received_at"])
    unparsed = next(p for p in published if p["ref"] == "KWJ-0003")
    assert unparsed["unparsed"] is True and unparsed["code"] is None
    assert unparsed["text"].endswith("🙏") and unparsed["sender_registered"] is False

    # the SIM was emptied only after the commits
    assert modem.stored == {}
    # Do No Harm: no phone number in any MQTT payload or log line
    everything = daemon.log + "".join(p.decode() for _, p, _ in hq.messages)
    for number in (PHONE_FR, PHONE_SW, UNKNOWN, PHONE_FR[4:], UNKNOWN[4:]):
        assert number not in everything


def test_status_is_retained_and_says_offline_after_a_clean_stop(tmp_path, modem, broker):
    config = write_config(tmp_path, modem.path, broker.port)
    db = tmp_path / "gateway.db"
    with MqttListener(broker.port) as hq, DaemonProcess(config) as daemon:
        status = wait_for(lambda: [s for s in hq.json_on("/status")
                                   if s.get("links", {}).get("gsm", {}).get("state") == "up"],
                          what="status with the GSM link up")
        assert status[-1]["state"] == "online"
        assert status[-1]["links"]["gsm"]["signal"] == 20
        assert daemon.stop() == 0
    assert "stopped" in daemon.log
    final = hq.json_on("/status")[-1]
    assert final["state"] == "offline" and final["reason"] == "shutdown"
    # a late subscriber gets the retained last word
    with MqttListener(broker.port, "can/v1/KWJ/status") as late:
        retained = wait_for(lambda: late.json_on("/status"), what="retained status")
        assert retained[-1]["state"] == "offline"
    assert query(db, "SELECT state FROM link_status WHERE link = 'gsm'") == [("stopped",)]


def test_broker_absent_at_start_then_alerts_delivered_when_it_appears(tmp_path, modem):
    port = free_port()
    config = write_config(tmp_path, modem.path, port)
    db = tmp_path / "gateway.db"
    with DaemonProcess(config) as daemon:
        wait_until_gsm_up(db, daemon)
        for text in ("2 Kamango", "6", "9 salama"):
            modem.inject_sms(PHONE_FR, text)
        # receiving and acknowledging do not wait for the broker
        wait_for(lambda: len(modem.sent) == 3, what="acks while the broker is down")
        assert query(db, "SELECT COUNT(*) FROM outbox WHERE destination='mqtt' AND state='pending'"
                         " AND alert_id IS NOT NULL") == [(3,)]
        with Broker() as broker, MqttListener(broker.port, "can/v1/KWJ/alerts") as hq, \
                Gate(port, broker.port):  # headquarters listens before the base gets through
            delivered = wait_for(lambda: len(hq.json_on("/alerts")) >= 3 and hq.json_on("/alerts"),
                                 timeout=20, what="alerts after the broker appears")
            wait_for(lambda: query(db, "SELECT COUNT(*) FROM outbox WHERE destination='mqtt'"
                                       " AND state='done' AND alert_id IS NOT NULL") == [(3,)],
                     what="rows marked done")
            assert daemon.stop() == 0
    # most severe first: the Extreme attack before the Severe flight before the Minor check-in
    assert [p["code"] for p in delivered[:3]] == ["2", "6", "9"]


def test_restart_with_messages_left_on_the_sim_loses_nothing_and_duplicates_nothing(
        tmp_path, modem, broker):
    config = write_config(tmp_path, modem.path, broker.port)
    db = tmp_path / "gateway.db"
    with DaemonProcess(config) as daemon:
        wait_until_gsm_up(db, daemon)
        modem.inject_sms(PHONE_FR, "2 Kamango")
        wait_for(lambda: len(modem.sent) == 1, what="first ack")
        assert daemon.stop() == 0

    # while the daemon is down: two new messages, and a copy of one already committed
    # (as if the daemon had died between the commit and AT+CMGD)
    modem.inject_sms(PHONE_SW, "hatari 3")
    modem.inject_sms(UNKNOWN, "6 Nobili")
    modem.inject_pdu(modem.history[0])

    with MqttListener(broker.port, "can/v1/KWJ/alerts") as hq, DaemonProcess(config) as daemon:
        wait_for(lambda: len(query(db, "SELECT id FROM alerts")) >= 3, what="alerts after restart")
        wait_for(lambda: modem.stored == {}, what="SIM emptied")
        wait_for(lambda: len(hq.json_on("/alerts")) >= 2, what="deliveries")
        wait_for(lambda: len(modem.sent) == 3, what="acks")
        assert daemon.stop() == 0
    assert [r[1] for r in _alerts(db)] == ["2", "3", "6"]
    assert "already stored before a restart" in daemon.log
    assert len([s for s in modem.sent if s.number == PHONE_FR]) == 1

