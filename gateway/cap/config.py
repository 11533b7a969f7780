"""The `[cap]` section: how the base signs and scopes the CAP messages it writes."""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Literal

DEFAULT_RESTRICTION = ("Community alert network of a peacekeeping base: for the mission and "
                       "its partners, not for publication")


@dataclass(frozen=True)
class CapConfig:
    sender: str | None = None  # default: cangw.<base id>
    scope: Literal["Restricted", "Private", "Public"] = "Restricted"
    restriction: str = DEFAULT_RESTRICTION
    radius_km: float = 5.0  # the circle drawn around a village with coordinates

    def check(self) -> list[tuple[str, str]]:
        problems = []
        if self.sender is not None and not re.fullmatch(r"[^\s,<&]+", self.sender):
            problems.append(("sender", "an identifier without spaces, commas, '<' or '&', "
                                       "such as 'kwj.cangw@mission.example'"))
        if not 0 < self.radius_km <= 100:
            problems.append(("radius_km", "a radius between 0 and 100 km"))
        return problems

    def sender_for(self, base_id: str) -> str:
        return self.sender or f"cangw.{base_id.lower()}"
