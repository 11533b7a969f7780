"""The real daemon, the simulated modem and mosquitto: five reports of one attack, from three
senders on two channels (SMS and a missed call), become one incident, confirmed, published on
MQTT with its growing versions; each alert names it."""

from __future__ import annotations

from gateway.sim.harness import DaemonProcess, MqttListener, query, wait_for, wait_until_gsm_up, write_config
from gateway.store import Store
from gateway.store import registry as reg
from tests.conftest import VILLAGES

KAHINDO, BARAKA, STRANGER = "+243990000101", "+243990000102", "+243997770001"


def _register(db_path):
    with Store.open(db_path) as store:
        for village in VILLAGES:
            reg.save_village(store, village)
        reg.save_focal_point(store, reg.make_focal_point(
            store, KAHINDO, "Kahindo Masika", "12", "fr", "+243", call_meaning="2"))
        reg.save_focal_point(store, reg.make_focal_point(
            store, BARAKA, "Baraka Mumbere", "12", "sw", "+243"))


def test_five_reports_of_one_attack_are_one_confirmed_incident(tmp_path, modem, broker):
    config = write_config(tmp_path, modem.path, broker.port)
    db = tmp_path / "gateway.db"
    _register(db)
    with MqttListener(broker.port, "can/v1/KWJ/#") as hq, DaemonProcess(config) as daemon:
        wait_until_gsm_up(db, daemon)
        modem.inject_sms(KAHINDO, "alerte 2 kamango")
        modem.inject_sms(BARAKA, "1 kamango watu wenye silaha")
        modem.inject_sms(STRANGER, "4 kamango maisons brulees")
        wait_for(lambda: len(query(db, "SELECT id FROM alerts")) == 3, what="three SMS alerts")
        call = modem.call(KAHINDO, ring_interval=1)  # a missed call: code 2 at Kamango
        wait_for(lambda: not call.active, 20, what="the missed call rejected")
        modem.inject_sms(BARAKA, "2 kamango risasi nyingi")
        alerts = wait_for(lambda: len(hq.json_on("/alerts")) >= 5 and hq.json_on("/alerts"),
                          20, what="five alerts on MQTT")
        final = wait_for(lambda: [i for i in hq.json_on("/incidents") if i["reports"] == 5],
                         20, what="the incident with its five reports")
        assert daemon.stop() == 0

    incidents = hq.json_on("/incidents")
    assert {i["id"] for i in incidents} == {final[0]["id"]}  # one incident, nothing else
    # versions only grow (one still queued when the next came is replaced by it: the SMS read
    # in one sweep are committed together)
    versions = [i["version"] for i in incidents]
    assert versions == sorted(set(versions)) and versions[-1] == 5
    last = incidents[-1]
    assert last["level"] == "confirmed" and last["state"] == "open"
    assert last["corroboration"] == {"senders": 3, "registered_senders": 2,
                                     "unverified_senders": 1, "channels": ["call", "sms"],
                                     "operator_confirmed": False}
    assert last["category"] == "attack" and last["severity"] == "Extreme"
    assert last["categories"] == ["attack", "armed_presence", "looting_burning"]
    assert last["villages"] == [{"number": 12, "name": "Kamango"}]
    assert sorted(last["alerts"]) == sorted(a["id"] for a in alerts[:5])
    assert {a["incident"] for a in alerts} == {last["id"]}
    # the first report alone is single; a second registered sender confirms
    assert all(i["level"] == ("single" if i["version"] == 1 else "confirmed") for i in incidents)
    # Do No Harm: neither numbers nor names in what left the base
    everything = daemon.log + "".join(p.decode() for _, p, _ in hq.messages)
    for secret in (KAHINDO, BARAKA, STRANGER, KAHINDO[4:], "Kahindo", "Baraka"):
        assert secret not in everything
