"""Through the real daemon, the simulated modem and mosquitto: a broadcast to a zone reaches
exactly the right numbers in their languages, each once; status reports move each recipient to
delivered, failed or expired, and headquarters gets the counts; an alert that comes during a
broadcast is acknowledged next; STOP works and never stops acknowledgements."""

from __future__ import annotations

import json
import time

import pytest
from click.testing import CliRunner

from gateway.cli import cli
from gateway.sim.gsm_modem import SimulatedModem
from gateway.sim.harness import DaemonProcess, MqttListener, query, wait_for, wait_until_gsm_up
from gateway.store import groups
from gateway.store import registry as reg
from tests.outreach.conftest import FOCAL, make_base

QUICK = ('\n[outreach]\nsms_per_minute = 6000\nvalidity = 1.5\nreport_grace = 0.3\n'
         'reply_window = 0.5\nsummary_every = 0.2\n')
NAMES = {phone: name for phone, name, *_ in FOCAL if phone}


def send(config_path, *args) -> str:
    result = CliRunner().invoke(cli, ["-c", str(config_path), "broadcast", "send", "--yes",
                                      *args])
    assert result.exit_code == 0, result.output
    return result.output


def recipients(db) -> dict[str, tuple[str, str | None]]:
    return {name: (state, reason) for name, state, reason in query(
        db, "SELECT unseal(f.name), r.state, r.reason FROM broadcast_recipients r"
            " JOIN focal_points f"
            " ON f.id = r.focal_id")}


@pytest.fixture
def line():
    with SimulatedModem(send_delay=0.01) as modem:
        modem.reports(delay=0.05)
        yield modem


def test_a_zone_broadcast_reaches_exactly_its_people_and_reports_settle_each(tmp_path, line,
                                                                              broker):
    config, store = make_base(tmp_path, QUICK, line.path, broker.port)
    store.close()
    db = config.store.path
    line.phone_off("+243990000103")  # never comes back: the base expires it
    line.phone_off("+243990000106", report_after=0.3, status=0x43)  # the number is dead
    with MqttListener(broker.port) as hq, DaemonProcess(config.source) as daemon:
        wait_until_gsm_up(db, daemon)
        output = send(config.source, "--target", "zone:north", "--template", "1", "--param",
                      "place=Kamango")
        assert "recipients: 5; 1 sent STOP; 1 without a channel" not in output  # no HF here
        assert "recipients: 4; 1 sent STOP; 1 without a channel the base has" in output
        final = wait_for(lambda: [e for e in hq.json_on("/events") if e.get("event") ==
                                  "broadcast" and e["state"] == "settled"], 30,
                         what="the last summary")[-1]
        assert daemon.stop() == 0
    sent = [(s.number, s.text) for s in line.sent]
    assert sorted(number for number, _ in sent) == ["+243990000101", "+243990000102",
                                                    "+243990000103", "+243990000106"]
    texts = dict(sent)
    assert texts["+243990000101"].startswith("Alerte de la base: un groupe arme se dirige "
                                             "vers Kamango")
    assert texts["+243990000102"].startswith("Tahadhari kutoka kituo")
    assert texts["+243990000103"].startswith("Alert from the base")
    assert texts["+243990000106"].startswith("Alerte")  # no language: the base's
    assert all(s.report for s in line.sent)
    states = recipients(db)
    assert {name: state for name, (state, _) in states.items()} == {
        "Kahindo Masika": "delivered", "Baraka Mumbere": "delivered", "Grace Kavira": "expired",
        "Furaha Sikuli": "failed"}
    assert "not obtainable" in states["Furaha Sikuli"][1]
    # headquarters: the id at once, then counts that only move forward, sent apart from delivered
    summaries = [e for e in hq.json_on("/events") if e.get("event") == "broadcast"]
    assert [e["version"] for e in summaries] == sorted({e["version"] for e in summaries})
    assert summaries[0]["id"] == final["id"] and summaries[0]["ref"] == "KWJ-B0001"
    assert final["counts"] == {"queued": 0, "sent": 0, "delivered": 2, "failed": 1, "expired": 1}
    assert final["recipients"] == 4 and final["origin"] == "cli"
    assert any(e["counts"]["sent"] for e in summaries)  # sent was seen before delivered
    everything = daemon.log + "".join(p.decode() for _, p, _ in hq.messages)
    for number, name in NAMES.items():
        assert number not in everything and number[4:] not in everything
        assert name not in everything


def test_an_alert_during_a_broadcast_is_acknowledged_next(tmp_path, broker):
    with SimulatedModem(send_delay=0.05) as modem:
        config, store = make_base(tmp_path, QUICK, modem.path)
        with store.transaction() as db:
            chiefs = groups.create(db, "many")
        for n in range(40):
            reg.save_focal_point(store, reg.make_focal_point(
                store, f"+2439950{n:05d}", f"Member {n}", "12", "sw", "+243"))
        with store.transaction() as db:
            for (focal_id,) in db.execute("SELECT id FROM focal_points"
                                          " WHERE unseal(name) LIKE 'Member%'").fetchall():
                groups.add_member(db, chiefs, focal_id)
        store.close()
        with DaemonProcess(config.source) as daemon:
            wait_until_gsm_up(config.store.path, daemon)
            send(config.source, "--target", "group:many", "--template", "6")
            wait_for(lambda: len(modem.sent) >= 8, 20, what="the broadcast under way")
            reported = time.time()
            modem.inject_sms("+243990000101", "2 Kamango")
            ack = wait_for(lambda: next((s for s in modem.sent if s.text.startswith("KWJ-0001")),
                                        None), 20, what="the acknowledgement")
            wait_for(lambda: len(modem.sent) == 41, 30, what="the whole broadcast")
            daemon.stop()
    between = [s for s in modem.sent if reported <= s.at < ack.at]
    assert len(between) <= 1  # at most the message that was on the line
    assert ack.number == "+243990000101" and not ack.report
    numbers = [s.number for s in modem.sent if s is not ack]
    assert len(numbers) == len(set(numbers)) == 40


def test_stop_is_answered_once_acknowledgements_go_on_and_broadcasts_skip_them(tmp_path, line):
    config, store = make_base(tmp_path, QUICK, line.path)
    store.close()
    db = config.store.path
    with DaemonProcess(config.source) as daemon:
        wait_until_gsm_up(db, daemon)
        line.inject_sms("+243990000102", "ACHA")
        wait_for(lambda: len(line.sent) == 1, 10, what="the answer to STOP")
        line.inject_sms("+243990000102", "acha")
        line.inject_sms("+243990000102", "2 Kamango")
        wait_for(lambda: len(line.sent) == 2, 10, what="the acknowledgement")
        send(config.source, "--target", "village:Kamango", "--template", "6")
        wait_for(lambda: len(line.sent) == 3, 10, what="the broadcast")
        time.sleep(0.5)  # nothing else leaves
        daemon.stop()
    texts = [(s.number, s.text.split(".")[0]) for s in line.sent]
    assert texts == [("+243990000102", "Hutapokea tena ujumbe wa kituo"),
                     ("+243990000102", "KWJ-0001 Taarifa imepokelewa: Shambulio linaendelea "
                                       "(kodi 2) katika Kamango, saa " + texts[1][1][-5:]),
                     ("+243990000101", "Test du reseau d'alerte: envoyez 0 a ce numero "
                                       "aujourd'hui pour dire que tout va bien")]
    assert query(db, "SELECT COUNT(*) FROM messages WHERE unseal(text) IN ('ACHA', 'acha')") == [(2,)]
    assert json.loads(query(db, "SELECT texts FROM broadcasts")[0][0]).keys() == {"fr"}


def test_hf_focal_points_get_one_bulletin_by_radio_to_the_group_address(tmp_path, line):
    from gateway.hf.ax25 import UiFrame
    from gateway.sim.kiss_tnc import KissTcpTnc

    with KissTcpTnc() as tnc:
        radio = f'\n[hf]\nport = "{tnc.url}"\ncallsign = "UNBASE"\nframes_per_minute = 30\n'
        config, store = make_base(tmp_path, QUICK + radio, line.path)
        store.close()
        with DaemonProcess(config.source) as daemon:
            wait_until_gsm_up(config.store.path, daemon)
            tnc.wait_client()
            send(config.source, "--target", "zone:north AND language:sw", "--template", "4",
                 "--param", "place=Nobili")
            wait_for(lambda: tnc.frames, 15, what="the bulletin")
            wait_for(lambda: len(line.sent) == 1, 15, what="the SMS")
            wait_for(lambda: recipients(config.store.path).get("Radio Nobili", ("",))[0]
                     == "sent", 10, what="the radio recipient sent")
            daemon.stop()
    (frame,) = [UiFrame.decode(f.data) for f in tnc.frames]
    assert (str(frame.source), str(frame.destination)) == ("UNBASE", "CAN")
    assert frame.info.decode() == "KWJ-B0001 Doria ya kituo itapita Nobili leo."
    assert line.sent[0].number == "+243990000102"  # Baraka, by SMS; the radio by the bulletin
