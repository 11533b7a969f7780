"""The real daemon: a seen alert reaches headquarters and the sender; the panel worker runs
on mock pins in the daemon's process and answers `cangw panel test` from another process."""

from __future__ import annotations

import json

from click.testing import CliRunner
from gpiozero import Device
from gpiozero.pins.mock import MockFactory

from gateway.alerts.seen import seen_text
from gateway.cli import cli
from gateway.config import load_config
from gateway.panel.devices import PanelDevices
from gateway.sim.harness import DaemonProcess, MqttListener, query, wait_for, wait_until_gsm_up, write_config
from tests.waiting import wait_until_done

FR = "+243990000101"


def test_seen_alert_reaches_headquarters_and_the_sender(tmp_path, modem, broker):
    config = write_config(tmp_path, modem.path, broker.port, extra="\n[panel]\nseen_ack = true\n")
    db = tmp_path / "gateway.db"
    with MqttListener(broker.port) as hq, DaemonProcess(config) as daemon:
        wait_until_gsm_up(db, daemon)
        modem.inject_sms(FR, "alerte 2 kamango")
        wait_for(lambda: hq.json_on("/alerts"), what="the alert at headquarters")
        wait_for(lambda: modem.sent, what="the acknowledgement")
        result = CliRunner().invoke(cli, ["-c", str(config), "alerts", "seen", "KWJ-0001"])
        assert result.exit_code == 0, result.output
        [event] = wait_for(lambda: hq.json_on("/events"), what="the seen event")
        seen_ack = seen_text("KWJ-0001", "fr")
        second = wait_for(lambda: [m for m in modem.sent if m.text == seen_ack],
                          what="the second acknowledgement")
        wait_until_done(db, "mqtt")  # the event's PUBACK is back, not only the event
        assert daemon.stop() == 0
    assert event["event"] == "seen" and event["ref"] == "KWJ-0001" and event["via"] == "cli"
    assert event["id"] == hq.json_on("/alerts")[0]["id"]
    assert second[0].number == FR and second[0].text.startswith("KWJ-0001 ")
    assert query(db, "SELECT state FROM outbox WHERE unseal(body) LIKE '%\"seen\"%'") == [("done",)]
    assert FR not in daemon.log and FR not in json.dumps(event)


def test_daemon_drives_the_panel_and_answers_panel_test(tmp_path, monkeypatch):
    pins = {"power": 17, "gsm": 27, "buzzer": 18, "button": 25}
    config = write_config(tmp_path, extra="\n[panel]\n" + "".join(
        f"{k} = {v}\n" for k, v in pins.items()))
    monkeypatch.setenv("GPIOZERO_PIN_FACTORY", "mock")  # for the daemon, a child process
    Device.pin_factory = MockFactory()  # in this process the pins are taken, as on a Pi
    holder = PanelDevices(load_config(config).panel)
    try:
        with DaemonProcess(config) as daemon:
            wait_for(lambda: "panel ready" in daemon.log, what="the panel worker")
            result = CliRunner().invoke(cli, ["-c", str(config), "panel", "test", "--seconds",
                                              "0.1"])
            assert daemon.stop() == 0
    finally:
        holder.close()
        Device.pin_factory.reset()
        Device.pin_factory = None
    assert result.exit_code == 0, result.output
    for role in ("power", "gsm", "buzzer"):
        assert f"{role} (GPIO {pins[role]}): cycled by the daemon" in result.output
    assert "panel test requested" in daemon.log
