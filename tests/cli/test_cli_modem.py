"""`cangw modem ...` against the simulated modem, alone and while the real daemon holds it."""

from __future__ import annotations

import json

import serial
from click.testing import CliRunner

from gateway.cli import cli
from gateway.sim.harness import DaemonProcess, query, wait_for, wait_until_gsm_up, write_config
from gateway.store import Store
from gateway.store import links as link_status


def run(config, *args, code=0):
    result = CliRunner().invoke(cli, ["-c", str(config), *args])
    assert result.exit_code == code, result.output
    return result.output


def test_modem_info_asks_the_modem_when_the_port_is_free(tmp_path, modem):
    config = write_config(tmp_path, modem.path)
    info = json.loads(run(config, "modem", "info", "--json"))
    assert info["manufacturer"] == "SIMCOM_Ltd" and info["model"] == "SIMCOM_SIM800"
    assert info["imei"] == "866262037000001" and info["revision"].startswith("Revision:")
    assert info["registration"] == "home" and 0 <= info["signal"] <= 31
    assert info["storage_total"] == 30 and info["profile"] == "sim800"
    assert info["source"].startswith("the modem on")
    assert "SIMCom SIM800" in run(config, "modem", "info")
    # diagnosis leaves the modem's settings alone (no CNMI, no PDU mode set)
    assert not any("CNMI" in line or "CMGF" in line for line in modem.history)


def test_modem_at_sends_one_command(tmp_path, modem):
    config = write_config(tmp_path, modem.path)
    out = run(config, "modem", "at", "AT+CSQ")
    assert out.splitlines()[-1] == "OK" and out.startswith("+CSQ: ")
    failed = run(config, "modem", "at", "AT+NOSUCH", code=1)
    assert "ERROR" in failed
    assert "starts with AT" in run(config, "modem", "at", "CSQ", code=1)
    assert "modem send" in run(config, "modem", "at", "AT+CMGS=20", code=1)


def test_modem_at_refuses_a_held_port_unless_forced(tmp_path, modem):
    config = write_config(tmp_path, modem.path)
    holder = serial.serial_for_url(modem.path, exclusive=True)  # as the daemon's lock
    try:
        assert "the daemon holds" in run(config, "modem", "at", "AT", code=1)
        assert run(config, "modem", "at", "AT+CGMI", "--force").splitlines() == ["SIMCOM_Ltd", "OK"]
    finally:
        holder.close()


def test_modem_info_falls_back_to_the_daemons_record(tmp_path, modem):
    config = write_config(tmp_path, modem.path)
    with Store.open(tmp_path / "gateway.db") as store, store.transaction() as db:
        link_status.record(db, "gsm", "up", signal=17, registration="home", model="SIMCOM_SIM800",
                           imei="866262037000001")
    holder = serial.serial_for_url(modem.path, exclusive=True)
    try:
        info = json.loads(run(config, "modem", "info", "--json"))
    finally:
        holder.close()
    assert info["source"].startswith("the daemon's record") and info["signal"] == 17
    assert info["profile"] == "sim800" and info["state"] == "up"


def test_modem_info_names_a_missing_port_once(tmp_path):
    missing = tmp_path / "no-modem"
    config = write_config(tmp_path, str(missing))
    out = run(config, "modem", "info", code=1)
    assert out.startswith(f"Error: cannot open {missing}"), out
    assert "Traceback" not in out


def test_modem_send_rejects_what_is_not_a_number(tmp_path, modem):
    config = write_config(tmp_path, modem.path)
    assert "not a phone number" in run(config, "modem", "send", "VODACOM", "hi", code=1)
    no_gsm = write_config(tmp_path)  # the same base without a [gsm] section
    assert "no [gsm] section" in run(no_gsm, "modem", "send", "0991234567", "hi", code=1)


def test_with_the_daemon_running(tmp_path, modem):
    """The daemon holds the port: info shows its record, at refuses, and a test SMS queued by
    the CLI leaves through the daemon's GSM worker."""
    config = write_config(tmp_path, modem.path)
    db = tmp_path / "gateway.db"
    with DaemonProcess(config) as daemon:
        wait_until_gsm_up(db, daemon)
        info = json.loads(run(config, "modem", "info", "--json"))
        assert info["source"].startswith("the daemon's record")
        assert info["imei"] == "866262037000001" and info["manufacturer"] == "SIMCOM_Ltd"
        assert "the daemon holds" in run(config, "modem", "at", "AT+CSQ", code=1)
        out = run(config, "modem", "send", "0991234567", "Test de la passerelle")
        assert "+243991234567" in out
        sent = wait_for(lambda: [m for m in modem.sent if m.text == "Test de la passerelle"],
                        what="the test SMS sent")
        assert sent[0].number == "+243991234567"
        wait_for(lambda: query(db, "SELECT 1 FROM outbox WHERE state = 'done' AND alert_id IS NULL"),
                 what="the outbox row done")
        assert daemon.stop() == 0
    assert "+243991234567" not in daemon.log and "991234567" not in daemon.log


def test_modem_at_listens_for_a_ussd_answer(tmp_path, modem):
    config = write_config(tmp_path, modem.path)
    out = run(config, "modem", "at", 'AT+CUSD=1,"*100#",15', "--listen", "5")
    assert out.splitlines()[0] == "OK"
    assert "(unsolicited) +CUSD: 0,\"Votre solde est de 1250 FC.\",15" in out
