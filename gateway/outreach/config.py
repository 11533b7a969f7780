"""The `[outreach]` section: how fast broadcasts go, what the base may spend on them, how long
a message may take to arrive, which follow-ups are sent, and the HF bulletin's destination.
Every key has a default, so a base without the section can broadcast (and sends no
follow-ups)."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

from gateway.hf.callsign import normalise_callsign

if TYPE_CHECKING:
    from gateway.config import Config

FOLLOW_UP_ACTIONS = ("respond", "close", "false-alarm")
MIN_VALIDITY = 300.0  # the shortest validity period an SMS can carry (TS 23.040: 5 minutes)


@dataclass(frozen=True)
class OutreachConfig:
    sms_per_minute: float = 30.0  # broadcast messages handed to the modem, at most
    daily_sms_budget: int = 1000  # SMS parts a day for broadcasts and follow-ups
    sms_cost: float = 0.0  # what one SMS part costs, in the SIM balance's unit
    validity: float = 86400.0  # seconds a message may take to reach a phone (then: expired)
    report_grace: float = 600.0  # seconds a status report may take after the validity ends
    reply_window: float = 86400.0  # a message this soon after a broadcast is a reply to it
    follow_ups: list[str] = field(default_factory=list)  # actions answered: respond, close, ...
    follow_ups_per_day: int = 2  # at most this many follow-ups a day to one person
    hf_destination: str = "CAN"  # the group address of the HF bulletin's UI frames
    summary_every: float = 10.0  # seconds between two summaries of one broadcast on MQTT
    templates: Path | None = None  # a book of templates replacing the built-in one
    hq_may_force: bool = False  # whether headquarters may go over the daily budget

    def check(self) -> list[tuple[str, str]]:
        problems = []
        if self.sms_per_minute <= 0:
            problems.append(("sms_per_minute", "more than 0"))
        if self.daily_sms_budget < 0 or self.sms_cost < 0:
            problems.append(("daily_sms_budget", "0 or more (and sms_cost 0 or more)"))
        if self.validity < 1 or self.report_grace < 0 or self.reply_window < 0:
            problems.append(("validity", "at least 1 s (report_grace and reply_window 0 or more)"))
        unknown = [a for a in self.follow_ups if a not in FOLLOW_UP_ACTIONS]
        if unknown:
            problems.append(("follow_ups", "a list of " + ", ".join(FOLLOW_UP_ACTIONS)))
        if self.follow_ups_per_day < 0:
            problems.append(("follow_ups_per_day", "0 or more"))
        if normalise_callsign(self.hf_destination) != self.hf_destination:
            problems.append(("hf_destination", "an AX.25 address in capitals such as 'CAN'"))
        if self.summary_every < 0:
            problems.append(("summary_every", "0 or more (seconds)"))
        return problems

    @property
    def send_gap(self) -> float:
        """Seconds between two broadcast messages."""
        return 60.0 / self.sms_per_minute


def outreach_settings(config: Config) -> OutreachConfig:
    """[outreach], or its defaults."""
    return config.section("outreach") or OutreachConfig()
