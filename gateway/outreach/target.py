"""Who a broadcast reaches: a target expression over the registry.

    all
    village:12            village:Kamango,Nobili     (a number or a name; commas: any of them)
    zone:north            group:chiefs               language:sw      channel:sms
    zone:north AND group:chiefs AND language:fr,sw

Terms joined by AND must all hold; the values of one term are alternatives. A focal point is
reached once, by SMS when it has a phone (a status report says whether it arrived), else by the
HF bulletin when it has a callsign; `channel:hf` reaches by radio those who have both. Those who
sent STOP are counted, never reached.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass

from gateway.alerts.codes import LANGUAGES
from gateway.alerts.text import fold
from gateway.model import Village
from gateway.store.broadcasts import Member

KINDS = ("village", "zone", "group", "language", "channel")
CHANNELS = ("sms", "hf")
AND = re.compile(r"\s+(?:AND|&&|&)\s+", re.IGNORECASE)
OTHER_JOINS = re.compile(r"\s(?:OR|NOT|\|\|?)\s", re.IGNORECASE)
MAX_LENGTH = 200


@dataclass(frozen=True)
class Term:
    kind: str
    values: tuple[str, ...]

    def __str__(self) -> str:
        return f"{self.kind}:{','.join(self.values)}"


@dataclass(frozen=True)
class Target:
    terms: tuple[Term, ...]

    def __str__(self) -> str:
        return " AND ".join(map(str, self.terms)) or "all"

    def values(self, kind: str) -> list[tuple[str, ...]]:
        return [term.values for term in self.terms if term.kind == kind]


def parse_target(text: str) -> Target:
    """The expression as terms; ValueError says what is wrong with it."""
    text = text.strip()
    if not text or len(text) > MAX_LENGTH:
        raise ValueError(f"a target is 'all' or terms such as 'zone:north AND group:chiefs' "
                         f"(at most {MAX_LENGTH} characters)")
    terms = []
    for part in AND.split(text):
        part = part.strip()
        if part.lower() == "all":
            continue
        kind, colon, values = part.partition(":")
        kind = kind.strip().lower()
        if ":" in values or OTHER_JOINS.search(values):
            raise ValueError(f"{part!r}: only AND joins terms (commas give alternatives: "
                             "zone:north,south)")
        items = tuple(v.strip() for v in values.split(",") if v.strip())
        if not colon or kind not in KINDS or not items:
            raise ValueError(f"{part!r}: expected 'all' or one of "
                             + ", ".join(f"{k}:..." for k in KINDS))
        if kind == "language" and set(i.lower() for i in items) - set(LANGUAGES):
            raise ValueError(f"{part!r}: languages are {', '.join(LANGUAGES)}")
        if kind == "channel" and set(i.lower() for i in items) - set(CHANNELS):
            raise ValueError(f"{part!r}: channels are {', '.join(CHANNELS)}")
        if kind in ("language", "channel", "group"):
            items = tuple(i.lower() for i in items)
        terms.append(Term(kind, items))
    return Target(tuple(terms))


@dataclass(frozen=True)
class Recipient:
    member: Member
    channel: str
    language: str


@dataclass(frozen=True)
class Audience:
    recipients: tuple[Recipient, ...]
    stopped: int  # matched the target, but sent STOP
    unreachable: int  # matched the target, but has no way in the channels asked


def select(target: Target, members: Iterable[Member], villages: list[Village],
           memberships: dict[int, set[str]], groups: set[str], base_language: str,
           available: set[str] | frozenset[str] = frozenset(CHANNELS)) -> Audience:
    """The focal points a target reaches by the `available` channels (those the base has);
    ValueError for a village, zone or group that the registry does not know (a typo must not
    make an empty broadcast look sent)."""
    wanted_villages = [_villages(values, villages) for values in target.values("village")]
    zones = {fold(v.zone) for v in villages if v.zone}
    for values in target.values("zone"):
        unknown = [z for z in values if fold(z) not in zones]
        if unknown:
            raise ValueError(f"no village is in zone {unknown[0]!r} (cangw village set ... --zone)")
    for values in target.values("group"):
        unknown = [g for g in values if g not in groups]
        if unknown:
            raise ValueError(f"no group {unknown[0]!r} (cangw group list)")
    channels = [set(values) for values in target.values("channel")]
    allowed = set(available).intersection(*channels)
    chosen, stopped, unreachable = [], 0, 0
    for member in members:
        language = member.language or base_language
        if not (all(member.village in wanted for wanted in wanted_villages)
                and all(fold(member.zone or "") in {fold(z) for z in values}
                        for values in target.values("zone"))
                and all(memberships.get(member.focal_id, set()) & set(values)
                        for values in target.values("group"))
                and all(language in values for values in target.values("language"))):
            continue
        channel = next((c for c in CHANNELS if c in allowed and
                        (member.phone if c == "sms" else member.callsign)), None)
        if member.stopped:
            stopped += 1
        elif channel is None:
            unreachable += 1
        else:
            chosen.append(Recipient(member, channel, language))
    return Audience(tuple(chosen), stopped, unreachable)


def _villages(values: tuple[str, ...], villages: list[Village]) -> set[int]:
    found = set()
    for value in values:
        match = next((v for v in villages if (value.isdigit() and v.number == int(value)) or
                      fold(value) in {fold(n) for n in (v.name, *v.alt_names)}), None)
        if match is None:
            raise ValueError(f"unknown village {value!r} (cangw village list)")
        found.add(match.number)
    return found
