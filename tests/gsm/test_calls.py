"""Alerts that cost the caller nothing: missed calls, keypad codes, the credit watch, voice alerts.

The real daemon runs against the simulated modem (which rings with +CLIP, takes ATA/ATH,
plays keypad tones and answers USSD) and a real mosquitto.
"""

from __future__ import annotations

import json
import time

import pytest
from click.testing import CliRunner

from gateway.cli import cli
from gateway.gsm.calls import ECHO_GAP, _raised
from gateway.gsm.credit import parse_balance
from gateway.gsm.profiles import load_profiles
from gateway.gsm.voice import ModemVoice, caller_number, ussd_text
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

KEYPAD_USER, FLASHER, STRANGER = "+243990000101", "+243990000102", "+243997770001"
CALLS = '\n[calls]\nkeypad = "flagged"\nkeypad_timeout = 8\nfold_window = 300\n'
CREDIT = '\n[credit]\nussd = "*123#"\nlow = 2000\ninterval = 3600\n'


def _register(db_path):
    with Store.open(db_path) as store:
        for village in VILLAGES:
            reg.save_village(store, village)
        reg.save_focal_point(store, reg.make_focal_point(
            store, KEYPAD_USER, "Kahindo Masika", "12", "fr", "+243", keypad=True))
        reg.save_focal_point(store, reg.make_focal_point(
            store, FLASHER, "Baraka Mumbere", "204", "sw", "+243", call_meaning="1"))


def _alerts(db):
    return query(db, "SELECT ref, channel, code, severity, urgency, repeats, partial, unseal(text),"
                     " village_name, registered FROM alerts ORDER BY id")


def _ended(call, timeout=20):
    wait_for(lambda: not call.active, timeout, what="the call to end")


@pytest.fixture
def running(tmp_path, modem, broker):
    """A daemon with [calls] and [credit], its store, and an MQTT listener."""
    config = write_config(tmp_path, modem.path, broker.port, extra=CALLS + CREDIT)
    db = tmp_path / "gateway.db"
    _register(db)
    with MqttListener(broker.port) as hq, DaemonProcess(config) as daemon:
        wait_until_gsm_up(db, daemon)
        yield daemon, db, hq, config
        assert daemon.stop() == 0


def test_missed_call_is_rejected_unanswered_recorded_and_acknowledged(running, modem):
    daemon, db, hq, _ = running
    call = modem.call(STRANGER, ring_interval=1)
    _ended(call)
    assert call.ended_by == "gateway" and call.answered_at is None  # never charged
    assert call.connected_seconds == 0 and call.rings == 1
    (alert,) = wait_for(lambda: _alerts(db), what="the alert")
    assert alert[1:8] == ("call", None, "Severe", "Immediate", 1, 0,
                          "missed call: alert without details, call back")
    assert alert[9] == 0  # an unknown caller is unverified
    ack = wait_for(lambda: [s for s in modem.sent if s.number == STRANGER], what="ack")
    assert expected_ack("KWJ-0001", "fr", call=True).fullmatch(ack[0].text)
    payload = wait_for(lambda: hq.json_on("/alerts"), what="MQTT")[0]
    assert payload["channel"] == "call" and payload["category"] == "missed_call"
    assert STRANGER[4:] not in daemon.log and STRANGER[4:] not in json.dumps(payload)


def test_repeated_flashes_fold_into_one_alert_with_a_count(running, modem):
    _daemon, db, hq, _ = running
    for _ in range(3):
        call = modem.call(FLASHER, ring_interval=1)
        _ended(call)
        # a person redials: the phone rings again later than an echo of the last RING could
        time.sleep(ECHO_GAP + 0.5)
    rows = wait_for(lambda: (r := _alerts(db)) and r[0][5] == 3 and r, what="three folded calls")
    assert len(rows) == 1
    _ref, _channel, code, severity, urgency, _repeats, _, text, village, registered = rows[0]
    # Baraka's own meaning: a missed call is code 1 (armed men) at his village, Mutwanga
    assert (code, severity, village, registered) == ("1", "Severe", "Mutwanga", 1)
    assert urgency == "Immediate"  # raised from code 1's Expected
    assert text.endswith("(called 3 times in 1 min)")
    assert len([s for s in modem.sent if s.number == FLASHER]) == 1  # one ack, not three
    latest = wait_for(lambda: [p for p in hq.json_on("/alerts") if p["repeats"] == 3],
                      what="the folded alert re-published")
    assert {p["id"] for p in hq.json_on("/alerts")} == {latest[0]["id"]}  # same id throughout


def test_keypad_code_becomes_a_parsed_alert(running, modem):
    _daemon, db, _hq, _ = running
    call = modem.call(KEYPAD_USER, digits="*2*204#", ring_interval=1, key_interval=0.2)
    _ended(call)
    assert call.answered_at is not None and call.ended_by == "gateway"
    assert call.keys_sent == "*2*204#"
    (alert,) = wait_for(lambda: _alerts(db), what="the alert")
    assert alert[1:4] == ("call", "2", "Extreme") and alert[6] == 0 and alert[8] == "Mutwanga"
    ack = wait_for(lambda: [s for s in modem.sent if s.number == KEYPAD_USER], what="ack")
    assert expected_ack("KWJ-0001", "fr", "2", "Mutwanga").fullmatch(ack[0].text)


def test_line_dropped_mid_code_is_kept_as_a_partial_report(running, modem):
    daemon, db, _hq, _ = running
    call = modem.call(KEYPAD_USER, digits="*3*12#", drop_after=2, ring_interval=1,
                      key_interval=0.2)
    _ended(call)
    assert call.ended_by == "caller" and call.keys_sent == "*3"
    (alert,) = wait_for(lambda: _alerts(db), what="the partial report")
    assert alert[1:3] == ("call", "3") and alert[6] == 1  # partial, code understood so far
    stored = query(db, "SELECT unseal(text), partial FROM messages")
    assert stored == [("*3", 1)]
    assert "dropped after 2 key(s)" in daemon.log


def test_credit_is_checked_at_start_and_low_credit_raises_one_event(running, modem):
    _daemon, db, hq, config = running
    row = wait_for(lambda: query(db, "SELECT state, detail FROM link_status WHERE link='credit'"),
                   what="the credit row")
    state, detail = row[0]
    assert state == "low" and json.loads(detail)["balance"] == 1250.0  # "1250 FC" < 2000
    (event,) = wait_for(lambda: hq.json_on("/events"), what="the low_credit event")
    assert event["type"] == "low_credit" and event["balance"] == 1250.0
    status = json.loads(CliRunner().invoke(cli, ["-c", str(config), "status", "--json"]).output)
    assert status["links"]["credit"]["state"] == "low"
    # while the daemon holds the port, `modem balance` asks it through the store
    modem.state.ussd_reply = "Solde: 5 400,00 FC. Merci."
    result = CliRunner().invoke(cli, ["-c", str(config), "modem", "balance", "--json"])
    assert result.exit_code == 0, result.output
    assert json.loads(result.stdout)["balance"] == 5400.0
    assert query(db, "SELECT state FROM link_status WHERE link='credit'") == [("ok",)]
    assert len(hq.json_on("/events")) == 1  # no second event while it is fine


def test_voice_alert_entered_by_the_operator_goes_to_headquarters(running):
    _daemon, _db, hq, config = running
    result = CliRunner().invoke(cli, [
        "-c", str(config), "alerts", "add", "--code", "2", "--village", "Kamango", "--count",
        "30", "--via", "radio", "--by", "Sgt Mapendo", "--note", "tirs entendus au marché"])
    assert result.exit_code == 0, result.output
    assert "KWJ-0001: code 2 (Extreme) at Kamango" in result.output
    payload = wait_for(lambda: hq.json_on("/alerts"), what="MQTT")[0]
    assert payload["channel"] == "voice" and payload["code"] == "2"
    assert payload["village"] == {"number": 12, "name": "Kamango"} and payload["count"] == 30
    assert payload["entered_by"] == "Sgt Mapendo" and payload["heard_via"] == "radio"
    assert payload["text"] == "tirs entendus au marché"
    refused = CliRunner().invoke(cli, ["-c", str(config), "alerts", "add", "--code", "42",
                                       "--by", "x"])
    assert refused.exit_code == 1 and "unknown code '42'" in refused.output


def test_unknown_callers_ignored_and_no_keypad_modem_means_missed_call(tmp_path, modem, broker):
    modem.state.keypad_supported = False  # firmware without AT+DDET
    config = write_config(tmp_path, modem.path, broker.port,
                          extra='\n[calls]\nunknown_callers = "ignore"\nkeypad = "registered"\n'
                                'profile = "huawei_e3372"\n')  # a profile without keypad tones
    db = tmp_path / "gateway.db"
    _register(db)
    with DaemonProcess(config) as daemon:
        wait_until_gsm_up(db, daemon)
        stranger = modem.call(STRANGER, ring_interval=1)
        _ended(stranger)
        known = modem.call(KEYPAD_USER, digits="2#", ring_interval=1)
        _ended(known)
        rows = wait_for(lambda: _alerts(db), what="the registered caller's alert")
        assert daemon.stop() == 0
    assert stranger.ended_by == "gateway" and stranger.answered_at is None
    assert known.answered_at is None  # no keypad detection: handled as a missed call
    assert [(r[1], r[2], r[3]) for r in rows] == [("call", None, "Severe")]
    assert "unregistered number ignored" in daemon.log


# -- pieces ------------------------------------------------------------------------------------
@pytest.mark.parametrize(("text", "balance"), [
    ("Votre solde est de 1250 FC.", 1250.0), ("Solde: 5 400,00 FC", 5400.0),
    ("Salio lako ni 1,250.50 FC", 1250.5), ("Credit 12.5 USD", 12.5), ("Balance: 3,5$", 3.5),
    ("Aucun solde", None),
])
def test_balance_parsed_from_operator_answers(text, balance):
    assert parse_balance(text, r"(?P<balance>\d[\d\s.,]*)") == balance


def test_ussd_and_caller_id_lines():
    assert ussd_text('+CUSD: 0,"Solde 100 FC",15') == (0, "Solde 100 FC")
    assert ussd_text('+CUSD: 0,"0053006F006C006400650020003500300030",72') == (0, "Solde 500")
    assert ussd_text("+CUSD: 4") == (4, "")
    assert caller_number('+CLIP: "+243990000101",145,"",0,"",0', "+243") == "+243990000101"
    assert caller_number('+CLIP: "243990000101",145', "+243") == "+243990000101"
    assert caller_number('+CLIP: "0990000101",129,"",0', "+243") == "+243990000101"
    assert caller_number('+CLIP: "",128', "+243") is None  # withheld


def test_keypad_lines_per_modem_profile():
    profiles = load_profiles()
    sim800 = ModemVoice(None, profiles["sim800"])
    quectel = ModemVoice(None, profiles["quectel_ec25"])
    assert sim800.key_from("+DTMF: 5") == "5" and sim800.key_from("+QTONEDET: 53") is None
    assert quectel.key_from("+QTONEDET: 35") == "#" and quectel.key_from("+DTMF: 5") is None
    assert not ModemVoice(None, profiles["huawei_e3372"]).keypad


def test_urgency_rises_one_step_per_fold():
    assert [_raised(u) for u in ("Future", "Expected", "Immediate", "Unknown")] == \
        ["Expected", "Immediate", "Immediate", "Immediate"]
