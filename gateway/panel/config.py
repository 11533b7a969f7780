"""The `[panel]` section: which GPIO pins (BCM numbers) drive the alarm panel, and how it behaves.

Every pin is optional, so a base can wire only a buzzer and a button, or nothing but the LEDs.
Kept apart from config.py so the panel's settings and their checks live in one place.
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass

LEDS = ("power", "gsm", "uplink", "alert", "credit", "silence")
PINS = (*LEDS, "buzzer", "button", "modem_power")
GPIO_RANGE = range(2, 28)  # the GPIO numbers on the Pi's 40-pin header
_HOURS = re.compile(r"([01]\d|2[0-3]):([0-5]\d)-([01]\d|2[0-3]):([0-5]\d)")


@dataclass(frozen=True)
class PanelConfig:
    power: int | None = None
    gsm: int | None = None
    uplink: int | None = None
    alert: int | None = None
    credit: int | None = None
    silence: int | None = None
    buzzer: int | None = None
    button: int | None = None
    modem_power: int | None = None
    buzzer_active_high: bool = True
    modem_power_active_high: bool = True
    alarm_on_unparsed: bool = False
    silent_hours: str | None = None
    long_press: float = 10.0
    seen_ack: bool = False

    def pins(self) -> dict[str, int]:
        """The configured pins by role, in panel order."""
        return {name: getattr(self, name) for name in PINS if getattr(self, name) is not None}

    def alarm_severities(self) -> tuple[str, ...]:
        """Severities that sound the buzzer and blink the alert LED until seen."""
        return ("Extreme", "Severe", "Unknown") if self.alarm_on_unparsed else ("Extreme", "Severe")

    def is_silent(self, moment: dt.datetime) -> bool:
        """True during `silent_hours` (a window such as 22:00-06:00 may cross midnight)."""
        if not self.silent_hours:
            return False
        match = _HOURS.fullmatch(self.silent_hours)
        assert match is not None  # check() accepted it
        start = int(match.group(1)) * 60 + int(match.group(2))
        end = int(match.group(3)) * 60 + int(match.group(4))
        now = moment.hour * 60 + moment.minute
        return start <= now < end if start <= end else now >= start or now < end

    def check(self) -> list[tuple[str, str]]:
        problems = []
        seen: dict[int, str] = {}
        for name, pin in self.pins().items():
            if pin not in GPIO_RANGE:
                problems.append((name, "a BCM GPIO number from 2 to 27"))
            elif pin in seen:
                problems.append((name, f"a pin not already used by {seen[pin]}"))
            seen.setdefault(pin, name)
        if self.silent_hours is not None and not _HOURS.fullmatch(self.silent_hours):
            problems.append(("silent_hours", "a local time window such as '22:00-06:00'"))
        if not 1 <= self.long_press <= 60:
            problems.append(("long_press", "1 to 60 (seconds)"))
        return problems

