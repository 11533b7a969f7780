"""The `[triage]` section: how alerts group into incidents, the corroboration rule, flood
control, check-in schedules and the network report. Every key has a default, so a base without
the section triages as the README describes."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from functools import cached_property
from typing import Literal

from gateway.triage import rules, schedules

HOUR = 3600.0
DEFAULT_RELATED = [["attack", "armed_presence", "looting_burning"], ["tension", "dispute"]]
DEFAULT_WINDOWS = {"attack": 3.0, "armed_presence": 6.0, "looting_burning": 3.0,
                   "abduction": 6.0, "sexual_violence": 24.0, "displacement": 12.0,
                   "tension": 48.0, "dispute": 48.0, "missed_call": 3.0}
DEFAULT_CORROBORATED = ["senders >= 2", "channels >= 2"]
DEFAULT_CONFIRMED = ["registered_senders >= 2", "senders >= 2 and channels >= 2", "operator"]
CHECKIN_KEY = re.compile(r"village:\d+|zone:.+|hf")
_CLOCK = re.compile(r"([01]\d|2[0-3]):([0-5]\d)")


@dataclass(frozen=True)
class TriageConfig:
    related: list[list[str]] = field(default_factory=lambda: [list(g) for g in DEFAULT_RELATED])
    window_hours: dict[str, float] = field(default_factory=lambda: dict(DEFAULT_WINDOWS))
    default_window_hours: float = 6.0
    distance_km: float = 5.0
    routine: list[str] = field(default_factory=lambda: ["check_in", "test"])
    corroborated: list[str] = field(default_factory=lambda: list(DEFAULT_CORROBORATED))
    confirmed: list[str] = field(default_factory=lambda: list(DEFAULT_CONFIRMED))
    repeat_window: float = 600.0
    rate_limit: int = 6
    rate_window: float = 600.0
    schedules: dict[str, str] = field(default_factory=dict)
    checkin: dict[str, str] = field(default_factory=dict)
    checkin_grace: float = 600.0
    silence_villages: int = 2
    silence_severity: Literal["Extreme", "Severe", "Moderate", "Minor"] = "Severe"
    active_days: int = 30
    silent_days: int = 7
    network_at: str = "06:00"
    watch_every: float = 60.0
    clock_jump: float = 120.0

    def check(self) -> list[tuple[str, str]]:
        problems = []
        grouped = [c for group in self.related for c in group]
        if len(grouped) != len(set(grouped)) or any(not c for c in grouped):
            problems.append(("related", "lists of categories, each category in one list at most"))
        if self.default_window_hours <= 0 or any(h <= 0 for h in self.window_hours.values()):
            problems.append(("window_hours", "hours above 0 by category"))
        if self.distance_km < 0:
            problems.append(("distance_km", "0 (same village only) or more kilometres"))
        try:
            self.rule  # noqa: B018 - parsing is the check
        except ValueError as exc:
            problems.append((str(exc).split(":")[0], str(exc)))
        if self.rate_limit < 1 or self.rate_window <= 0 or self.repeat_window < 0:
            problems.append(("rate_limit", "at least 1 message in a rate_window above 0 s"))
        for name, text in self.schedules.items():
            try:
                schedules.parse_schedule(text)
            except ValueError as exc:
                problems.append(("schedules", f"{name}: {exc}"))
        for key, text in self.checkin.items():
            if not CHECKIN_KEY.fullmatch(key):
                problems.append(("checkin", f"keys 'village:12', 'zone:NAME' or 'hf', not {key!r}"))
            try:
                schedules.resolve(text, self.schedules)
            except ValueError as exc:
                problems.append(("checkin", f"{key}: {exc}"))
        if self.silence_villages < 1 or self.active_days < 1 or self.silent_days < 1:
            problems.append(("silence_villages", "1 or more (and active_days, silent_days too)"))
        if not _CLOCK.fullmatch(self.network_at):
            problems.append(("network_at", "a local time such as '06:00'"))
        if self.watch_every < 1 or self.clock_jump < 1 or self.checkin_grace < 0:
            problems.append(("watch_every", "at least 1 s (and clock_jump too; checkin_grace 0 or more)"))
        return problems

    @cached_property
    def rule(self) -> rules.Rule:
        """The corroboration rule; ValueError names the level whose text is wrong."""
        for name, texts in (("corroborated", self.corroborated), ("confirmed", self.confirmed)):
            for text in texts:
                try:
                    rules.parse_condition(text)
                except ValueError as exc:
                    raise ValueError(f"{name}: {exc}") from None
        return rules.Rule.parse(self.corroborated, self.confirmed)

    def window(self, category: str | None) -> float:
        """Seconds within which a report of `category` may join an earlier one."""
        return self.window_hours.get(category or "", self.default_window_hours) * HOUR

    def related_to(self, category: str) -> frozenset[str]:
        """The categories that may be one event with `category` (itself included)."""
        for group in self.related:
            if category in group:
                return frozenset(group)
        return frozenset((category,))

    def network_minutes(self) -> int:
        hours, minutes = self.network_at.split(":")
        return int(hours) * 60 + int(minutes)
