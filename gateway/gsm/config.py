"""The `[calls]` and `[credit]` sections: alerts that cost the caller nothing, and the SIM's credit.

Kept apart from config.py so these settings and their checks live in one place. `[calls]` may
be left out: missed calls are then handled with the defaults below whenever `[gsm]` is set.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Literal


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
