"""`cangw panel test` on mock pins: directly, and through a running panel worker."""

from __future__ import annotations

import itertools
import threading
import time

import pytest
from click.testing import CliRunner
from gpiozero import Device
from gpiozero.pins.mock import MockFactory

from gateway.alerts.codes import load_codebook
from gateway.cli import cli
from gateway.config import load_config
from gateway.panel.devices import PanelDevices
from gateway.panel.service import PanelService
from gateway.sim.harness import wait_for, write_config
from gateway.store import Store
from gateway.workers import Notifier

PINS = {"power": 17, "gsm": 27, "alert": 23, "buzzer": 18, "button": 25, "modem_power": 5}
OUTPUTS = ["power", "gsm", "alert", "buzzer", "modem_power"]


@pytest.fixture
def factory():
    """gpiozero's default pin factory, as the CLI sees it, made of mock pins."""
    Device.pin_factory = MockFactory()
    yield Device.pin_factory
    Device.pin_factory.reset()
    Device.pin_factory = None


@pytest.fixture
def config_path(tmp_path):
    panel = "\n[panel]\n" + "".join(f"{k} = {v}\n" for k, v in PINS.items())
    path = write_config(tmp_path, extra=panel)
    Store.open(load_config(path).store.path).close()
    return path


def cycled(factory, role):
    """True when the pin went on and then off again."""
    states = [s.state for s in factory.pin(PINS[role]).states]
    return any(a and not b for a, b in itertools.pairwise(states))


def invoke(config_path, *args):
    return CliRunner().invoke(cli, ["-c", str(config_path), "panel", "test", *args])


def test_cycles_every_output_then_checks_the_button(factory, config_path):
    button = factory.pin(PINS["button"])
    stop = threading.Event()

    def technician():  # presses the button every 0.2 s until the test ends
        while not stop.wait(0.2):
            button.drive_low()
            time.sleep(0.05)  # the finger on the button
            button.drive_high()

    presser = threading.Thread(target=technician)
    presser.start()
    try:
        result = invoke(config_path, "--seconds", "0.1", "--button-wait", "5")
    finally:
        stop.set()
        presser.join()
    assert result.exit_code == 0, result.output
    for role in OUTPUTS:
        assert f"{role} (GPIO {PINS[role]}): on for 0.1 s" in result.output
        assert cycled(factory, role), role
    assert "button: pressed, wiring OK" in result.output
    assert factory.pin(PINS["modem_power"]).function == "input"  # released afterwards


def test_a_button_never_pressed_is_reported(factory, config_path):
    result = invoke(config_path, "--seconds", "0.05", "--button-wait", "0.3", "--skip-relay")
    assert result.exit_code == 1 and "no press seen" in result.output
    assert "modem_power" not in result.output
    assert len(factory.pin(PINS["modem_power"]).states) == 1


def test_runs_through_the_daemon_when_it_holds_the_pins(factory, config_path):
    config = load_config(config_path)
    worker = PanelService(config, load_codebook(), Notifier(), pin_factory=factory)
    worker.start()
    try:
        wait_for(lambda: worker.devices, what="the panel worker to hold its pins")
        result = invoke(config_path, "--seconds", "0.1")
    finally:
        worker.stop()
        worker.join(10)
    assert result.exit_code == 0, result.output
    assert "asking the running daemon" in result.output
    for role in OUTPUTS:
        assert f"{role} (GPIO {PINS[role]}): cycled by the daemon" in result.output
        assert cycled(factory, role), role


def test_busy_pins_and_no_daemon(factory, config_path):
    holder = PanelDevices(load_config(config_path).panel, factory)  # another program's pins
    try:
        result = invoke(config_path, "--seconds", "0.1")
    finally:
        holder.close()
    assert result.exit_code == 1 and "no daemon answered" in result.output
    with Store.open(load_config(config_path).store.path) as store:
        assert store.meta("panel_test_request") is None  # withdrawn: a later daemon ignores it


def test_needs_a_panel_section(tmp_path):
    result = CliRunner().invoke(cli, ["-c", str(write_config(tmp_path)), "panel", "test"])
    assert result.exit_code == 1 and "no pins in a [panel] section" in result.output
