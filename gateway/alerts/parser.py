"""The forgiving alert grammar typed on feature phones under stress.

    [keyword] code [filler] [village] [count] [free text]

Separators are spaces, '*', '#', commas, dots (and ';', ':'). The code is a number or a
word from the code book; the village a registry number or a name, matched ignoring case and
accents and allowing a small typo; the count a number of at most four digits. Digits that are
part of a phone number are never a village or a count: they stay in the free text, which is
scrubbed before it leaves the base. Pure functions: no I/O.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass

from gateway.alerts.codes import Code, CodeBook
from gateway.alerts.phone import MAX_COUNT_DIGITS, phone_spans
from gateway.alerts.text import fold
from gateway.model import ParsedAlert, Village

TOKEN = re.compile(r"[^\s*#,.;:]+")
TIME_AFTER = re.compile(r":[0-5]\d\b")  # the hour of '14:30' is not a count
MAX_WORDS = 3


@dataclass(frozen=True)
class _Token:
    norm: str
    start: int
    in_phone_number: bool = False

    @property
    def number(self) -> bool:
        """A number typed on its own (not a piece of a phone number)."""
        return self.norm.isascii() and self.norm.isdigit() and not self.in_phone_number


class AlertParser:
    """Parses message text against a code book and a village registry."""

    def __init__(self, codebook: CodeBook, villages: Iterable[Village] = ()):
        self.codebook = codebook
        self._words = codebook.word_index()
        self._villages_by_number = {}
        self._village_names: dict[tuple[str, ...], Village] = {}
        for village in villages:
            self._villages_by_number[village.number] = village
            for name in (village.name, *village.alt_names):
                self._village_names.setdefault(tuple(fold(name).split()), village)

    def parse(self, text: str) -> ParsedAlert:
        phones = phone_spans(text)
        tokens = [_Token(fold(m.group()), m.start(),
                         bool(phones) and any(start <= m.start() < end for start, end in phones))
                  for m in TOKEN.finditer(text)]
        found = None
        if len(tokens) > 1 and tokens[0].norm in self.codebook.keywords:
            found = self._match_code(tokens, 1)
            if found is not None and found[1] is None:
                found = (found[0], self.codebook.keywords[tokens[0].norm], found[2])
        found = found or self._match_code(tokens, 0)
        if found is None:
            return ParsedAlert(code=None, text=text.strip())
        code, language, position = found

        village, after_village = self._match_village(tokens, position)
        if village is not None:
            position = after_village
        count = None
        if position < len(tokens) and tokens[position].number \
                and len(tokens[position].norm) <= MAX_COUNT_DIGITS \
                and not TIME_AFTER.match(text, tokens[position].start + len(tokens[position].norm)):
            count = int(tokens[position].norm)
            position += 1
        rest = text[tokens[position].start:].strip() if position < len(tokens) else ""
        return ParsedAlert(code=code.number, language=language, village=village, count=count,
                           text=rest)

    def _match_code(self, tokens: list[_Token], at: int) -> tuple[Code, str | None, int] | None:
        if at >= len(tokens):
            return None
        first = tokens[at].norm
        if first in self.codebook.codes:
            return self.codebook.codes[first], None, at + 1
        for size in range(min(MAX_WORDS, len(tokens) - at), 0, -1):
            words = tuple(t.norm for t in tokens[at:at + size])
            if words in self._words:
                code, language = self._words[words]
                return code, language, at + size
        fuzzy = _closest(first, self._words, min_length=6)
        if fuzzy is not None:
            code, language = self._words[fuzzy]
            return code, language, at + 1
        return None

    def _match_village(self, tokens: list[_Token], at: int) -> tuple[Village | None, int]:
        while at < len(tokens) and tokens[at].norm in self.codebook.fillers:
            at += 1
        if at >= len(tokens):
            return None, at
        if tokens[at].number:
            return self._villages_by_number.get(int(tokens[at].norm)), at + 1
        for size in range(min(MAX_WORDS, len(tokens) - at), 0, -1):
            words = tuple(t.norm for t in tokens[at:at + size])
            if words in self._village_names:
                return self._village_names[words], at + size
            if any(t.norm.isdigit() for t in tokens[at:at + size]):
                continue  # a number after a village is a count, not a typo in its name
            match = _closest(" ".join(words), self._village_names, min_length=5)
            if match is not None:
                return self._village_names[match], at + size
        return None, at


def _closest(word: str, candidates: Iterable[tuple[str, ...]], min_length: int
             ) -> tuple[str, ...] | None:
    """The candidate within a small edit distance of `word` (1 typo, 2 for long words)."""
    if len(word) < min_length:
        return None
    allowed = 2 if len(word) >= 9 else 1
    best, best_distance = None, allowed + 1
    for candidate in candidates:
        joined = " ".join(candidate)
        if abs(len(joined) - len(word)) > allowed:
            continue
        distance = edit_distance(word, joined, allowed)
        if distance < best_distance:
            best, best_distance = candidate, distance
    return best


def edit_distance(a: str, b: str, limit: int) -> int:
    """Typos between two words: a letter missing, extra or wrong, or two neighbours swapped
    (optimal string alignment distance), giving up (returning limit + 1) beyond `limit`."""
    before, previous = None, list(range(len(b) + 1))
    for i, ca in enumerate(a, 1):
        current = [i]
        for j, cb in enumerate(b, 1):
            cost = min(previous[j] + 1, current[j - 1] + 1, previous[j - 1] + (ca != cb))
            if before is not None and j > 1 and ca == b[j - 2] and a[i - 2] == cb:
                cost = min(cost, before[j - 2] + 1)
            current.append(cost)
        if min(current) > limit:
            return limit + 1
        before, previous = previous, current
    return previous[-1]
