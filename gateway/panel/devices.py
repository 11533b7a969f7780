"""The alarm panel's GPIO devices (gpiozero): LEDs, buzzer, button, and the modem's power relay.

Devices never touch hardware themselves: gpiozero asks a pin factory, so the tests use its
MockFactory and a Raspberry Pi uses lgpio. `show()` changes a device only when what it shows
changes, so a blinking LED keeps its rhythm while the panel refreshes twice a second.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator

from gpiozero import LED, Button, Buzzer, DigitalOutputDevice
from gpiozero.pins import Factory

from gateway.errors import LinkError
from gateway.panel.config import LEDS, PanelConfig
from gateway.panel.view import BLINK, ON, PanelView

BLINK_TIMES = {"gsm": (0.5, 0.5), "uplink": (0.5, 0.5), "credit": (0.5, 0.5),
               "alert": (0.25, 0.25), "silence": (1.0, 1.0)}  # seconds on, off
BUZZER_PATTERNS = {"Extreme": (0.2, 0.2), "Severe": (0.5, 1.5)}
CHIRP = 0.08  # the buzzer's answer to a button press when nothing else sounds
BUTTON_BOUNCE = 0.05


class PanelDevices:
    """The configured devices; a role without a pin is simply not driven."""

    def __init__(self, panel: PanelConfig, pin_factory: Factory | None = None):
        self.panel = panel
        self.pin_factory = pin_factory
        self.leds: dict[str, LED] = {}
        self.buzzer: Buzzer | None = None
        self.button: Button | None = None
        self._shown: dict[str, str | None] = {}
        try:
            for name in LEDS:
                pin = getattr(panel, name)
                if pin is not None:
                    self.leds[name] = LED(pin, pin_factory=pin_factory)
            if panel.buzzer is not None:
                self.buzzer = Buzzer(panel.buzzer, active_high=panel.buzzer_active_high,
                                     pin_factory=pin_factory)
            if panel.button is not None:
                self.button = Button(panel.button, pull_up=True, bounce_time=BUTTON_BOUNCE,
                                     hold_time=panel.long_press, pin_factory=pin_factory)
        except Exception as exc:  # gpiozero's errors, and lgpio's own for a pin another program holds
            self.close()
            raise LinkError(f"panel GPIO: {exc}") from exc

    def show(self, view: PanelView) -> None:
        for name in ("gsm", "uplink", "credit", "alert", "silence"):
            self._set_led(name, getattr(view, name))
        if self.buzzer is not None and self._changed("buzzer", view.buzzer):
            if view.buzzer is None:
                self.buzzer.off()
            else:
                self.buzzer.beep(*BUZZER_PATTERNS[view.buzzer])

    def heartbeat(self, healthy: bool) -> None:
        """One beat of the power LED: it blinks while the daemon is healthy, else stays lit."""
        led = self.leds.get("power")
        if led is None:
            return
        if healthy:
            led.toggle()
        else:
            led.on()

    def chirp(self) -> None:
        """A short beep that answers a button press, when the buzzer is otherwise quiet."""
        if self.buzzer is not None and self._shown.get("buzzer") is None:
            self.buzzer.beep(CHIRP, CHIRP, n=1)

    def forget(self) -> None:
        """Re-apply everything at the next `show()` (after a test cycle drove the pins)."""
        self._shown.clear()
        for _, _, device in self.outputs():
            device.off()

    def outputs(self) -> Iterator[tuple[str, int, DigitalOutputDevice]]:
        """(role, pin, device) of each output, in panel order."""
        pins = self.panel.pins()
        for name, led in self.leds.items():
            yield name, pins[name], led
        if self.buzzer is not None:
            yield "buzzer", pins["buzzer"], self.buzzer

    def close(self) -> None:
        for device in (*self.leds.values(), self.buzzer, self.button):
            if device is not None:
                device.close()

    def _set_led(self, name: str, mode: str) -> None:
        led = self.leds.get(name)
        if led is None or not self._changed(name, mode):
            return
        if mode == ON:
            led.on()
        elif mode == BLINK:
            led.blink(*BLINK_TIMES[name])
        else:
            led.off()

    def _changed(self, name: str, value: str | None) -> bool:
        if name in self._shown and self._shown[name] == value:
            return False
        self._shown[name] = value
        return True


def cycle_outputs(devices: PanelDevices, relay: DigitalOutputDevice | None, seconds: float,
                  stop: threading.Event, report: Callable[[str], None]) -> list[str]:
    """Switch each output on for `seconds`, one after the other, so a technician can check the
    wiring; returns the roles cycled."""
    steps = list(devices.outputs())
    if relay is not None:
        steps.append(("modem_power", devices.panel.pins()["modem_power"], relay))
    done = []
    for name, pin, device in steps:
        if stop.is_set():
            break
        report(f"{name} (GPIO {pin}): on for {seconds:g} s")
        device.on()
        stop.wait(seconds)
        device.off()
        done.append(name)
        stop.wait(min(seconds, 0.3))
    return done
