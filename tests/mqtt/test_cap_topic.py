"""`[mqtt] cap = true`: every new version of an incident also goes to {prefix}/{base}/cap as its
CAP 1.2 message (the real daemon, the simulated modem and mosquitto); off by default."""

from __future__ import annotations

from lxml import etree

from gateway.config import load_config
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
from gateway.triage.incidents import change_state
from tests.cap.schema import NS, SCHEMA
from tests.conftest import VILLAGES
from tests.triage.conftest import T0, Base
from tests.waiting import wait_until_done

KAHINDO, STRANGER = "+243990000101", "+243997770001"


def _register(db_path):
    with Store.open(db_path) as store:
        for village in VILLAGES:
            reg.save_village(store, village)
        reg.save_focal_point(store, reg.make_focal_point(
            store, KAHINDO, "Kahindo Masika", "12", "fr", "+243"))


def _messages(hq: MqttListener) -> dict[str, etree._Element]:
    """Each CAP message on the topic by identifier (a re-publish after a lost PUBACK is the same
    message), checked against the schema."""
    found = {}
    for topic, payload, _ in list(hq.messages):
        if topic == "can/v1/KWJ/cap":
            document = etree.fromstring(payload)
            SCHEMA.assertValid(document)
            found[document.findtext("cap:identifier", namespaces=NS)] = document
    return found


def test_each_version_of_an_incident_is_published_as_cap(tmp_path, modem, broker):
    config = write_config(tmp_path, modem.path, broker.port, mqtt="cap = true\n")
    db = tmp_path / "gateway.db"
    _register(db)
    with MqttListener(broker.port, "can/v1/KWJ/#") as hq, DaemonProcess(config) as daemon:
        wait_until_gsm_up(db, daemon)
        modem.inject_sms(KAHINDO, "alerte 2 kamango appelez Kahindo")
        wait_for(lambda: len(_messages(hq)) == 1, 20, what="the first CAP message")
        modem.inject_sms(STRANGER, "2 kamango")
        wait_for(lambda: len(_messages(hq)) == 2, 20, what="the update")
        (incident_id,) = query(db, "SELECT id FROM incidents")[0]
        with Store.open(db) as store:
            change_state(store, load_config(config), incident_id, "false-alarm", "duty", "")
        wait_for(lambda: len(_messages(hq)) == 3, 20, what="the cancel")
        wait_until_done(db, "mqtt")  # the JSON versions too, not only the CAP ones
        assert daemon.stop() == 0

    messages = _messages(hq)
    uid = query(db, "SELECT uid FROM incidents")[0][0]
    assert sorted(messages) == [f"{uid}-v1", f"{uid}-v2", f"{uid}-v3"]
    kinds = [messages[f"{uid}-v{v}"].findtext("cap:msgType", namespaces=NS) for v in (1, 2, 3)]
    assert kinds == ["Alert", "Update", "Cancel"]
    earlier = [",".join(messages[f"{uid}-v{v}"].findtext(f"cap:{name}", namespaces=NS)
                        for name in ("sender", "identifier", "sent")) for v in (1, 2)]
    assert messages[f"{uid}-v3"].findtext("cap:references", namespaces=NS).split() == earlier
    assert messages[f"{uid}-v2"].findtext("cap:references", namespaces=NS) == earlier[0]
    # the JSON incident still goes to its own topic; nothing that left names anyone
    assert hq.json_on("/incidents")[-1]["version"] == 3
    everything = daemon.log + "".join(p.decode() for _, p, _ in hq.messages)
    for secret in (KAHINDO, STRANGER, KAHINDO[4:], STRANGER[4:], "Kahindo", "Masika"):
        assert secret not in everything


def test_the_cap_topic_is_off_unless_asked_for(tmp_path):
    counts = []
    for name, extra in (("off", ""), ("on", "cap = true\n")):  # the line ends [mqtt]
        (tmp_path / name).mkdir()
        base = Base(tmp_path / name, extra=extra)
        try:
            assert base.config.mqtt.cap is bool(extra)
            base.report("2 kamango", T0)
            counts.append(base.store.db.execute(
                "SELECT COUNT(*) FROM outbox WHERE destination = 'mqtt' AND recipient = 'cap'"
            ).fetchone()[0])
        finally:
            base.close()
    assert counts == [0, 1]
