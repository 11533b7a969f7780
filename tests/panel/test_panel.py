"""The alarm panel on gpiozero's mock pins, driven by a real store and the real pipeline."""

from __future__ import annotations

import datetime as dt
import itertools
import json
import time

import pytest
from gpiozero.pins.mock import MockFactory

from gateway.alerts.codes import load_codebook
from gateway.alerts.pipeline import Pipeline
from gateway.alerts.seen import seen_text
from gateway.config import load_config
from gateway.gsm.sms_pdu import decode_deliver
from gateway.panel import service as panel_service
from gateway.panel.config import PanelConfig
from gateway.panel.devices import BLINK_TIMES, BUZZER_PATTERNS
from gateway.panel.service import PanelService
from gateway.panel.view import read_view
from gateway.sim.deliver_pdu import build_deliver_pdus
from gateway.sim.harness import wait_for, write_config
from gateway.store import Store
from gateway.store import links as link_status
from gateway.workers import Notifier
from tests.waiting import wait_for_turns

PINS = {"power": 17, "gsm": 27, "uplink": 22, "alert": 23, "credit": 24, "buzzer": 18,
        "button": 25}
PANEL = "\n[panel]\n" + "".join(f"{k} = {v}\n" for k, v in PINS.items()) + "long_press = 1\n"


class Bench:
    """A base with a panel: store, pipeline, notifier and the panel worker on mock pins."""

    def __init__(self, folder, extra="", clock=time.time, mqtt=False):
        self.config = load_config(write_config(folder, mqtt_port=1883 if mqtt else None,
                                               extra=PANEL + extra))
        self.store = Store.open(self.config.store.path)
        self.notifier = Notifier()
        self.factory = MockFactory()
        self.pipeline = Pipeline(self.store, self.config, load_codebook(), self.notifier)
        self.panel = PanelService(self.config, load_codebook(), self.notifier,
                                  pin_factory=self.factory, clock=clock)

    def pin(self, role):
        return self.factory.pin(PINS[role])

    def sms(self, text, sender="+243990000101"):
        for pdu in build_deliver_pdus(sender, text):
            self.pipeline.ingest_sms(decode_deliver(pdu.hex))
        return time.monotonic()

    def link(self, name, state, **detail):
        with self.store.transaction() as db:
            link_status.record(db, name, state, **detail)

    def press(self, seconds=0.05):
        button = self.pin("button")
        button.drive_low()
        time.sleep(seconds)  # the finger on the button
        button.drive_high()

    def turns(self, count=2):
        """Let the panel refresh `count` more times, woken for each."""
        wait_for_turns(self.panel, count, lambda: self.notifier("panel"))

    def watch(self, seconds):
        """Let the panel run on its own for two turns and at least `seconds`: what blinks or
        beats within that time would show on the pins. Returns when the watch began."""
        began = time.monotonic()
        wait_for_turns(self.panel, 2)
        while time.monotonic() - began < seconds:
            wait_for_turns(self.panel, 1)
        return began

    def close(self):
        self.panel.stop()
        self.notifier("panel")  # as the daemon does: no need to wait for its tick
        self.panel.join(10)
        self.store.close()


@pytest.fixture
def bench(tmp_path):
    made = []

    def make(**kwargs):
        made.append(Bench(tmp_path, **kwargs))
        made[-1].panel.start()
        return made[-1]

    yield make
    for each in made:
        each.close()


def toggles_since(pin, start):
    """State changes of a mock pin after `start` (monotonic), as (time, state)."""
    moments, at = [], pin._last_change
    for change in reversed(pin.states[1:]):
        moments.append((at, change.state))
        at -= change.timestamp
    return [m for m in reversed(moments) if m[0] >= start]


def on_durations(pin, start):
    changes = toggles_since(pin, start)
    return [b[0] - a[0] for a, b in itertools.pairwise(changes) if a[1] and not b[1]]


def beeps_after(pin, start, count):
    """The first `count` beeps (seconds on) after `start`, once they have all ended."""
    return wait_for(lambda: (beeps := on_durations(pin, start))[count - 1:] and beeps[:count],
                    timeout=15, what=f"{count} beeps")


def test_buzzer_sounds_within_a_second_of_an_extreme_alert_and_stops_on_a_short_press(bench):
    base = bench()
    buzzer, alert_led = base.pin("buzzer"), base.pin("alert")
    base.turns()
    assert len(buzzer.states) == 1 and len(alert_led.states) == 1  # silent without an alert
    sent = base.sms("2 kamango 15 hommes armes")
    wait_for(lambda: buzzer.state, timeout=1.0, interval=0.005, what="the buzzer")
    assert time.monotonic() - sent < 1.0
    beeps = beeps_after(buzzer, sent, 3)
    extreme, severe = BUZZER_PATTERNS["Extreme"][0], BUZZER_PATTERNS["Severe"][0]
    # a beep lasts at least its pattern's time; a loaded machine only makes it longer
    assert min(beeps) >= extreme * 0.95 and min(beeps) < severe, beeps
    wait_for(lambda: len(toggles_since(alert_led, sent)) >= 4, what="the alert LED blinking")

    pressed = time.monotonic()
    base.press()
    wait_for(lambda: base.store.db.execute("SELECT via FROM alerts_seen").fetchall(),
             timeout=1.0, what="the alert marked seen")
    base.turns()  # the refresh after the press has run: no pattern is left sounding
    wait_for(lambda: not buzzer.state, what="the press's chirp to end")
    assert len(on_durations(buzzer, pressed)) <= 2  # a pattern's last beep, the press's chirp
    quiet = base.watch(2 * sum(BUZZER_PATTERNS["Extreme"]))
    assert not toggles_since(buzzer, quiet) and not toggles_since(alert_led, quiet)
    assert not buzzer.state and not alert_led.state
    assert base.store.db.execute("SELECT via FROM alerts_seen").fetchall() == [("button",)]


def test_severe_alert_sounds_the_slower_pattern(bench):
    base = bench()
    buzzer = base.pin("buzzer")
    sent = base.sms("1 kamango")  # armed men seen: Severe
    wait_for(lambda: buzzer.state, timeout=1.0, interval=0.005, what="the buzzer")
    on, off = BUZZER_PATTERNS["Severe"]
    beeps = beeps_after(buzzer, sent, 2)  # a loaded machine only makes them longer
    assert all(b >= on * 0.95 for b in beeps), beeps
    changes = toggles_since(buzzer, sent)
    silences = [b[0] - a[0] for a, b in itertools.pairwise(changes)
                if not a[1] and b[1]]
    assert silences and all(s >= off * 0.95 for s in silences), silences


@pytest.mark.parametrize("text", ["7 kamango", "bonjour la base"])
def test_moderate_alerts_and_unparsed_reports_stay_quiet_by_default(bench, text):
    base = bench()
    base.sms(text)
    base.turns()  # the panel has read the committed alert
    assert len(base.pin("buzzer").states) == 1 and len(base.pin("alert").states) == 1


def test_unparsed_reports_sound_when_configured(bench):
    base = bench(extra="alarm_on_unparsed = true\n")
    base.sms("bonjour la base, des gens bizarres")
    wait_for(lambda: base.pin("buzzer").state, timeout=1.0, what="the buzzer")


def test_a_press_marks_only_what_the_panel_showed(bench):
    base = bench(mqtt=True, extra="seen_ack = true\n")
    base.sms("2 kamango")
    wait_for(lambda: base.panel.view.shown, timeout=1.0, what="the panel to show the alert")
    base.panel.presses.put("short")  # as the button handler does, before the next refresh
    base.sms("3 kamango", sender="+243990000102")  # committed, notified, but not yet shown
    base.notifier("panel")
    wait_for(lambda: base.store.db.execute("SELECT COUNT(*) FROM alerts_seen").fetchone()[0],
             what="the press handled")
    seen = base.store.db.execute("SELECT alert_id FROM alerts_seen").fetchall()
    assert seen == [(1,)]
    wait_for(lambda: base.panel.view.shown == (2,), what="the new alert shown")
    assert base.pin("buzzer").state or len(base.pin("buzzer").states) > 2
    rows = base.store.db.execute(
        "SELECT destination, unseal(recipient), unseal(body) FROM outbox WHERE alert_id = 1"
        " AND body IS NOT NULL AND (destination = 'sms' AND unseal(body) LIKE '%lue%'"
        " OR destination = 'mqtt')").fetchall()
    event = next(json.loads(body) for dest, _, body in rows if dest == "mqtt")
    assert event["event"] == "seen" and event["ref"] == "KWJ-0001" and event["via"] == "button"
    assert "+243" not in json.dumps(event)
    assert ("sms", "+243990000101", seen_text("KWJ-0001", "fr")) in rows  # the second ack


def test_letting_go_during_the_countdown_wipes_nothing(bench):
    base = bench()
    time.sleep(0.3)
    pressed = time.monotonic()
    base.press(seconds=0.7)  # long_press = 1 s
    beeps = on_durations(base.pin("buzzer"), pressed)
    assert beeps and all(0.1 <= b <= 0.3 for b in beeps)  # the countdown's beep
    time.sleep(1.5)
    assert base.config.store.data_key.exists()
    assert not base.config.store.path.with_name("gateway.db.wiped").exists()
    assert not base.pin("buzzer").state  # quiet again


def test_holding_the_button_to_the_end_wipes(bench, caplog):
    base = bench()
    base.sms("2 kamango")
    wait_for(lambda: base.pin("buzzer").state, timeout=1.0, what="the buzzer")
    with caplog.at_level("WARNING", logger="gateway"):
        base.press(seconds=1.4)
        wait_for(lambda: "WIPED (panel)" in caplog.text, what="the wipe")
    assert not base.config.store.data_key.exists() and not base.config.store.path.exists()
    held = float(caplog.text.split("destroyed ")[1].split(" ms")[0])
    assert held < 2000  # from the moment the button had been held long enough


def test_silent_hours_quiet_the_buzzer_but_not_the_alert_led(bench):
    three_am = dt.datetime(2026, 11, 24, 3, 0, tzinfo=dt.timezone(dt.timedelta(hours=2)))
    base = bench(extra='silent_hours = "22:00-06:00"\n', clock=three_am.timestamp)
    sent = base.sms("2 kamango")
    wait_for(lambda: len(toggles_since(base.pin("alert"), sent)) >= 2, what="the alert LED")
    assert len(base.pin("buzzer").states) == 1


@pytest.mark.parametrize(("rows", "expected"), [
    ({}, {"gsm": "off", "uplink": "off", "credit": "off"}),
    ({"gsm": ("up", {})}, {"gsm": "on"}),
    ({"gsm": ("no_network", {})}, {"gsm": "blink"}),
    ({"gsm": ("down", {"error": "unplugged"})}, {"gsm": "off"}),
    ({"gsm": ("stopped", {})}, {"gsm": "off"}),
    ({"mqtt": ("up", {})}, {"uplink": "on"}),
    ({"mqtt": ("up", {}), "sbd": ("up", {})}, {"uplink": "on"}),
    ({"mqtt": ("down", {}), "sbd": ("up", {})}, {"uplink": "blink"}),  # only the satellite
    ({"mqtt": ("down", {}), "sbd": ("down", {})}, {"uplink": "off"}),
    ({"gsm": ("up", {}), "credit": ("low", {"balance": 90.0})}, {"credit": "on"}),
    ({"gsm": ("up", {}), "credit": ("ok", {"balance": 900.0})}, {"credit": "off"}),
])
def test_link_leds_follow_the_link_status_rows(store, rows, expected):
    for name, (state, detail) in rows.items():
        with store.transaction() as db:
            link_status.record(db, name, state, **detail)
    view = read_view(store.db, PanelConfig(gsm=27), dt.datetime(2026, 11, 24, 12, 0))
    assert {key: getattr(view, key) for key in expected} == expected


def test_link_leds_on_the_pins(bench):
    base = bench()
    gsm = base.pin("gsm")

    def steady():
        """No change for longer than a blink's period, once the new state is shown."""
        base.turns()
        return not toggles_since(gsm, base.watch(sum(BLINK_TIMES["gsm"])))

    base.link("gsm", "up", signal=20)
    assert steady() and gsm.state
    base.link("gsm", "no_network", signal=None)
    base.turns()
    mark = time.monotonic()
    wait_for(lambda: len(toggles_since(gsm, mark)) >= 2, what="the gsm LED blinking")
    base.link("gsm", "down", error="unplugged")
    assert steady() and not gsm.state


def test_power_led_beats_only_while_the_daemon_is_healthy(bench, monkeypatch):
    monkeypatch.setattr(panel_service, "HEALTHY_WITHIN", 0.8)
    base = bench()
    power = base.pin("power")
    start = time.monotonic()

    def pulse_and_look():  # the supervisor's pulse, while the LED is watched
        base.notifier("healthy")
        return len(toggles_since(power, start)) >= 2

    wait_for(pulse_and_look, interval=0.1, what="the power LED beating")
    base.turns()  # the last pulse is taken; HEALTHY_WITHIN later the LED stays lit
    unhealthy_from = time.monotonic() + panel_service.HEALTHY_WITHIN
    wait_for(lambda: time.monotonic() > unhealthy_from, what="HEALTHY_WITHIN to pass")
    base.turns()
    quiet = base.watch(2 * panel_service.TICK)  # a beating LED toggles every TICK
    assert power.state and not toggles_since(power, quiet)


def test_panel_releases_its_pins_when_stopped(bench):
    base = bench()
    base.link("gsm", "up")
    wait_for(lambda: base.pin("gsm").state, what="the gsm LED")
    base.panel.stop()
    base.panel.join(10)
    assert not base.panel.is_alive()
    assert base.pin("gsm").function == "input" and base.pin("buzzer").function == "input"
