"""The relay in the modem's supply: the last resort for a modem that answers nothing.

The modem is wired through the relay's normally-closed contact, so it stays powered while the
relay rests (also while the Pi boots or is off); energising the relay cuts its power. The pin
is `[gsm] power_pin`, else the panel's `modem_power` (the same relay, wired once).
"""

from __future__ import annotations

import logging
import time

from gpiozero import DigitalOutputDevice
from gpiozero.pins import Factory

from gateway.config import Config
from gateway.errors import LinkError

log = logging.getLogger(__name__)

OFF_SECONDS = 5.0  # long enough for a modem's capacitors to drain


def open_relay(pin: int, active_high: bool, pin_factory: Factory | None = None
               ) -> DigitalOutputDevice:
    """The relay, de-energised. Raises LinkError when the pin cannot be driven."""
    try:
        return DigitalOutputDevice(pin, active_high=active_high, initial_value=False,
                                   pin_factory=pin_factory)
    except Exception as exc:  # lgpio raises its own error for a busy pin
        raise LinkError(f"modem power relay on GPIO {pin}: {exc}") from exc


def relay_pin(config: Config) -> tuple[int, bool] | None:
    """(GPIO, active_high) of the modem's power relay, or None when there is none."""
    if config.gsm is not None and config.gsm.power_pin is not None:
        return config.gsm.power_pin, config.gsm.power_active_high
    if config.panel is not None and config.panel.modem_power is not None:
        return config.panel.modem_power, config.panel.modem_power_active_high
    return None


class ModemPower:
    def __init__(self, pin: int, active_high: bool, pin_factory: Factory | None = None):
        self.pin = pin
        self.active_high = active_high
        self.pin_factory = pin_factory

    def cycle(self, off_seconds: float = OFF_SECONDS) -> None:
        """Cut the modem's power for `off_seconds`, then restore it. The pin is held only for
        the cycle, so `cangw panel test` can pulse the same relay at other times."""
        relay = open_relay(self.pin, self.active_high, self.pin_factory)
        try:
            log.warning("power-cycling the modem (relay on GPIO %d, %.0f s off)", self.pin,
                        off_seconds)
            relay.on()
            time.sleep(off_seconds)  # not interruptible: a half-done cycle would leave it off
        finally:
            relay.off()
            relay.close()
