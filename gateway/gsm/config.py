"""The `[gsm]`, `[calls]` and `[credit]` sections: the modem, alerts that cost the caller
nothing, and the SIM's credit.

`[calls]` may be left out: missed calls are then handled with the defaults below whenever
`[gsm]` is set.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Literal

from gateway.checks import BAUD_RATES, DEVICE, SECONDS, SERIAL_SPEED
from gateway.panel.config import GPIO_RANGE


@dataclass(frozen=True)
class GsmConfig:
    port: str
    baudrate: int = 115200
    pin: str | None = None
    sweep_interval: float = 30.0
    multipart_timeout: float = 600.0
    command_timeout: float = 10.0
    health_interval: float = 10.0
    power_pin: int | None = None
    power_active_high: bool = True
    power_off: float = 5.0  # seconds the relay keeps the modem unpowered
    reset_wait: float | None = None  # after a soft reset; default: the modem profile's
    reconnect_cap: float = 10.0  # longest wait to reopen it: a replugged modem is back at once
    send_attempts: int = 10
    send_retry: float = 5.0

    def check(self) -> list[tuple[str, str]]:
        problems = []
        if not self.port.strip():
            problems.append(("port", DEVICE))
        if self.baudrate not in BAUD_RATES:
            problems.append(("baudrate", SERIAL_SPEED))
        if self.pin is not None and not re.fullmatch(r"[0-9]{4,8}", self.pin):
            problems.append(("pin", "4 to 8 digits"))
        if self.sweep_interval < 1:
            problems.append(("sweep_interval", "at least 1 (seconds)"))
        if self.multipart_timeout < 1:
            problems.append(("multipart_timeout", "at least 1 (seconds)"))
        if self.command_timeout <= 0:
            problems.append(("command_timeout", SECONDS))
        if not 1 <= self.health_interval <= 20:
            problems.append(("health_interval", "1 to 20 (seconds), so a hung modem is found "
                                                "within 30 s"))
        if self.power_pin is not None and self.power_pin not in GPIO_RANGE:
            problems.append(("power_pin", "a BCM GPIO number from 2 to 27"))
        if not 0 < self.power_off <= 60:
            problems.append(("power_off", "more than 0 and at most 60 (seconds)"))
        if self.reset_wait is not None and not 0 <= self.reset_wait <= 300:
            problems.append(("reset_wait", "0 to 300 (seconds)"))
        if not 1 <= self.reconnect_cap <= 300:
            problems.append(("reconnect_cap", "1 to 300 (seconds)"))
        if self.send_attempts < 1:
            problems.append(("send_attempts", "at least 1"))
        if self.send_retry <= 0:
            problems.append(("send_retry", "more than 0 (seconds)"))
        return problems


@dataclass(frozen=True)
class CallsConfig:
    enabled: bool = True
    missed_call_meaning: str = ""  # a code for a missed call ("1"); empty: alert without details
    unknown_callers: Literal["record", "ignore"] = "record"
    fold_window: float = 300.0  # calls from one number within this many seconds are one alert
    keypad: Literal["flagged", "registered", "off"] = "flagged"  # who may key in a code
    keypad_timeout: float = 30.0  # seconds to wait for the '#' after answering
    profile: str | None = None  # modem profile (firmware-config/modems.toml); default: by model

    def check(self) -> list[tuple[str, str]]:
        problems = []
        if self.fold_window < 0:
            problems.append(("fold_window", "a number of seconds, 0 or more"))
        if not 5 <= self.keypad_timeout <= 300:
            problems.append(("keypad_timeout", "between 5 and 300 seconds"))
        return problems


@dataclass(frozen=True)
class CreditConfig:
    ussd: str  # the operator's balance code, e.g. "*123#"
    low: float  # below this balance: warning, MQTT low_credit event, panel light
    pattern: str = r"(?P<balance>\d[\d\s.,]*)"  # finds the balance in the operator's answer
    interval: float = 21600.0  # seconds between checks (default: every 6 hours)

    def check(self) -> list[tuple[str, str]]:
        problems = []
        if self.low < 0:
            problems.append(("low", "a balance of 0 or more"))
        if not re.fullmatch(r"[*#0-9]{2,20}", self.ussd):
            problems.append(("ussd", "a USSD code of digits, * and #, such as '*123#'"))
        try:
            if "balance" not in re.compile(self.pattern).groupindex:
                problems.append(("pattern", "a regular expression with a group (?P<balance>...)"))
        except re.error as exc:
            problems.append(("pattern", f"a valid regular expression ({exc})"))
        if self.interval < 60:
            problems.append(("interval", "at least 60 seconds"))
        return problems
