"""The `[sbd]` section: the Iridium modem, when an alert may also go by satellite, and what
the base may spend. Kept apart from config.py so the satellite's settings and checks live in
one place."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from gateway.checks import BAUD_RATES, DEVICE, SECONDS, SERIAL_SPEED

SEVERITIES = ("Extreme", "Severe", "Moderate", "Minor", "Unknown")
# seconds an alert may wait for MQTT before it also goes by satellite, by severity ("Unknown":
# unparsed reports, which may hide anything, travel with the Severe ones). Minor alerts (all
# calm, tests, disputes) never go unless configured.
DEFAULT_FALLBACK = {"Extreme": 300.0, "Severe": 300.0, "Unknown": 300.0, "Moderate": 3600.0}


@dataclass(frozen=True)
class SbdConfig:
    port: str
    baudrate: int = 19200
    fallback_after: dict[str, float] = field(default_factory=lambda: dict(DEFAULT_FALLBACK))
    daily_credit_budget: int = 50
    command_key_file: Path | None = None
    ring_alerts: bool = True
    session_timeout: float = 90.0
    command_timeout: float = 10.0
    signal_interval: float = 60.0

    def check(self) -> list[tuple[str, str]]:
        problems = []
        if not self.port.strip():
            problems.append(("port", DEVICE))
        if self.baudrate not in BAUD_RATES:
            problems.append(("baudrate", SERIAL_SPEED))
        unknown = set(self.fallback_after) - set(SEVERITIES)
        if unknown or any(delay < 0 for delay in self.fallback_after.values()):
            problems.append(("fallback_after", "a table of seconds (0 or more) by severity: "
                                               + ", ".join(SEVERITIES)))
        if self.daily_credit_budget < 0:
            problems.append(("daily_credit_budget", "0 (send nothing) or more credits"))
        if self.session_timeout < 1:
            problems.append(("session_timeout", "at least 1 (seconds; a real session may take a minute)"))
        if self.command_timeout <= 0:
            problems.append(("command_timeout", SECONDS))
        if self.signal_interval < 1:
            problems.append(("signal_interval", "at least 1 (seconds)"))
        return problems

    def fallback_delay(self, severity: str) -> float | None:
        """How long an alert of `severity` waits for MQTT; None: it never goes by satellite."""
        return self.fallback_after.get(severity)
