"""The corroboration rule as data: which counts make an incident `corroborated` or `confirmed`.

A level is a list of conditions, any one of which suffices; a condition is one or more
`measure >= number` joined by `and`, or the word `operator` (the base confirmed it itself).
For example `confirmed = ["registered_senders >= 2", "senders >= 2 and channels >= 2",
"operator"]`. Pure functions: the config validates the text, the incidents apply it.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

MEASURES = ("reports", "senders", "registered_senders", "unverified_senders", "channels")
OPERATOR = "operator"
LEVELS = ("single", "corroborated", "confirmed")  # from the weakest
_TERM = re.compile(r"\s*([a-z_]+)\s*>=\s*(\d+)\s*")


@dataclass(frozen=True)
class Condition:
    """All of `minimums` met (measure -> at least), or the operator's confirmation."""

    minimums: tuple[tuple[str, int], ...] = ()
    operator: bool = False

    def holds(self, counts: Mapping[str, int], operator_confirmed: bool) -> bool:
        if self.operator:
            return operator_confirmed
        return all(counts.get(measure, 0) >= least for measure, least in self.minimums)


def parse_condition(text: str) -> Condition:
    """A condition from its text; ValueError says what is wrong."""
    if text.strip() == OPERATOR:
        return Condition(operator=True)
    minimums = []
    for term in text.split(" and "):
        match = _TERM.fullmatch(term)
        if match is None:
            raise ValueError(f"{text!r}: write 'measure >= number' (joined by 'and') or "
                             f"'{OPERATOR}'")
        if match.group(1) not in MEASURES:
            raise ValueError(f"{text!r}: {match.group(1)!r} is not one of {', '.join(MEASURES)}")
        minimums.append((match.group(1), int(match.group(2))))
    return Condition(tuple(minimums))


@dataclass(frozen=True)
class Rule:
    corroborated: tuple[Condition, ...]
    confirmed: tuple[Condition, ...]

    @classmethod
    def parse(cls, corroborated: Sequence[str], confirmed: Sequence[str]) -> Rule:
        return cls(tuple(map(parse_condition, corroborated)),
                   tuple(map(parse_condition, confirmed)))

    def level(self, counts: Mapping[str, int], operator_confirmed: bool = False) -> str:
        """The strongest level whose conditions one of holds."""
        if any(c.holds(counts, operator_confirmed) for c in self.confirmed):
            return "confirmed"
        if any(c.holds(counts, operator_confirmed) for c in self.corroborated):
            return "corroborated"
        return "single"
