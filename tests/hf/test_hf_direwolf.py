"""The real daemon against Debian's direwolf: 300-baud HF audio in, alerts on MQTT, and the
acknowledgement frames accepted and transmitted by direwolf."""

from __future__ import annotations

import re

import pytest

from gateway.sim.direwolf import Direwolf, find_direwolf, modulate
from gateway.sim.harness import DaemonProcess, MqttListener, query, wait_for, write_config
from gateway.store import Store
from gateway.store import registry as reg
from tests.acks import expected_ack
from tests.conftest import VILLAGES

FOCAL, STRANGER = "9Q2KAM-1", "9Q5XYZ"


@pytest.fixture
def direwolf(tmp_path):
    if find_direwolf() is None:
        pytest.fail("direwolf is required (scripts/test installs it: apt-get install direwolf)")
    # audio twice as fast as a sound card: direwolf does not mind, the test takes half the time
    with Direwolf(tmp_path, mycall="UNBASE", speed=2.0) as running:
        yield running


def test_hf_audio_becomes_alerts_on_mqtt_and_acknowledgements_are_transmitted(
        tmp_path, direwolf, broker):
    hf = f'\n[hf]\nport = "{direwolf.url}"\ncallsign = "UNBASE"\nframes_per_minute = 30\n'
    config = write_config(tmp_path, mqtt_port=broker.port, extra=hf)
    db = tmp_path / "gateway.db"
    with Store.open(db) as store:
        for village in VILLAGES:
            reg.save_village(store, village)
        reg.save_focal_point(store, reg.make_focal_point(store, "-", "Mbusa Kakule", "12", "fr",
                                                         "+243", "9Q2KAM"))
    first = modulate(f"{FOCAL}>UNBASE:ALERTE 2 KAMANGO 15 hommes armes")
    with MqttListener(broker.port) as hq, DaemonProcess(config) as daemon:
        wait_for(lambda: query(db, "SELECT 1 FROM link_status WHERE link='hf' AND state='up'"),
                 20, what="the HF link up")
        direwolf.play(first)
        direwolf.play(modulate(f"{STRANGER}>UNBASE:hatari 3 Nobili"))
        direwolf.play(first)  # heard again (a retransmission): no second alert
        published = wait_for(lambda: len(hq.json_on("/alerts")) >= 2 and hq.json_on("/alerts"),
                             30, what="two alerts on MQTT")
        sent = wait_for(lambda: len(re.findall(r"^\[0L\] .*$", direwolf.log, re.M)) >= 2
                        and re.findall(r"^\[0L\] .*$", direwolf.log, re.M), 60,
                        what="direwolf transmitting two acknowledgements")
        wait_for(lambda: query(db, "SELECT repeats FROM alerts WHERE ref = 'KWJ-0001'") == [(2,)],
                 30, what="the retransmission folded into the first alert")
        assert daemon.stop() == 0

    assert [(p["ref"], p["channel"], p["code"], (p["village"] or {}).get("name"),
             p["sender_registered"]) for p in published] == [
        ("KWJ-0001", "hf", "2", "Kamango", True), ("KWJ-0002", "hf", "3", "Nobili", False)]
    assert published[0]["count"] == 15 and published[0]["text"] == "hommes armes"
    assert all(re.fullmatch(r"fp-[0-9a-f]{10}", p["sender"]) for p in published)
    # direwolf's own record of what it put on the air: base -> sender, with the reference
    for line, heard_from, ack in [
            (sent[0], FOCAL, expected_ack("KWJ-0001", "fr", "2", "Kamango", radio=True)),
            (sent[1], STRANGER, expected_ack("KWJ-0002", "sw", "3", "Nobili", radio=True))]:
        header, _, text = line.partition(":")
        assert header == f"[0L] UNBASE>{heard_from}" and ack.fullmatch(text), line
    assert len(sent) == 2
    # Do No Harm: the focal points' callsigns are in neither the log nor MQTT
    everything = daemon.log + "".join(p.decode() for _, p, _ in hq.messages)
    for callsign in ("9Q2KAM", "9Q5XYZ"):
        assert callsign not in everything
