"""Free text made safe to leave the base (MQTT, exports, the satellite).

Removed: phone numbers as people type them ('(099) 000 0104', '099/000/0105',
'+243/990/000/109'), the final digits of a registered number typed alone ('000101'), registered
callsigns under any SSID, and focal points' names: whole, joined ('GraceKavira'), with one typo
('Kavyra') or a digit for a letter ('S1kuli'), with the tolerance the parser gives villages.
Villages, code-book words and the common words of alert text (data/plain_words.toml) are never
taken for a misspelt name; counts, times and dates stay.
"""

from __future__ import annotations

import re
import tomllib
from collections.abc import Iterable
from functools import cache
from importlib import resources
from itertools import permutations

from gateway.alerts.codes import CodeBook
from gateway.alerts.parser import edit_distance
from gateway.alerts.phone import number_fragments, phone_spans
from gateway.alerts.text import fold
from gateway.model import FocalPoint, Village

NAME, NUMBER, CALLSIGN = "[name]", "[number]", "[callsign]"
MIN_NAME = 3  # a shorter word of a name identifies nobody
MIN_TYPO = 5  # a shorter word is matched exactly only (as villages are by the parser)
WORD = re.compile(r"[^\W_]+")
DIGITS_AS_LETTERS = str.maketrans("0134578", "oieastb")
BETWEEN_NAMES = re.compile(r"[\s'_.-]*")  # 'Grace Kavira', 'Jean-Paul', 'Furaha_Sikuli': one [name]

Span = tuple[int, int, str]


class Redactor:
    def __init__(self, focal_points: Iterable[FocalPoint], villages: Iterable[Village],
                 codebook: CodeBook):
        points = list(focal_points)
        self._kept = _kept_words(villages, codebook)
        self._fragments = number_fragments([p.phone for p in points if p.phone])
        self._names = {form for p in points for form in _name_forms(p.name)} - self._kept
        # one typo in a word of a name: a word with one letter left out -> the words (joined
        # forms are matched exactly; indexing their variants too cost 20 kB per focal point)
        self._one_typo: dict[str, str | tuple[str, ...]] = {}
        for name in {w for p in points for w in _name_words(p.name)} - self._kept:
            if len(name) >= MIN_TYPO - 1:
                for variant in (name, *_deletions(name)):
                    known = self._one_typo.get(variant)
                    self._one_typo[variant] = name if known is None else (
                        (*known, name) if isinstance(known, tuple) else (known, name))
        # a registered station under any SSID: 9Q2KAM, 9Q2KAM-1, 9q2kam-12
        stations = sorted({p.callsign.partition("-")[0] for p in points if p.callsign},
                          key=len, reverse=True)
        self._stations = re.compile(r"\b(?:" + "|".join(map(re.escape, stations))
                                    + r")(?:-\d{1,2})?\b", re.IGNORECASE) if stations else None

    def __call__(self, text: str) -> str:
        spans = [(start, end, NUMBER) for start, end in phone_spans(text, self._fragments)]
        if self._stations is not None:
            spans += [(m.start(), m.end(), CALLSIGN)
                      for m in self._stations.finditer(_masked(text, spans))]
        masked = _masked(text, spans)
        spans += [(m.start(), m.end(), NAME) for m in WORD.finditer(masked)
                  if self._is_name(fold(m.group()))]
        return _replaced(text, spans)

    def _is_name(self, word: str) -> bool:
        if word in self._kept or word.isdigit():
            return False
        readings = [word]
        if not word.isalpha():
            readings.append(word.translate(DIGITS_AS_LETTERS))
        return any(reading in self._names or self._near_a_name(reading) for reading in readings)

    def _near_a_name(self, word: str) -> bool:
        if len(word) < MIN_TYPO or word in self._kept:
            return False
        for variant in (word, *_deletions(word)):
            found = self._one_typo.get(variant, ())
            for name in (found,) if isinstance(found, str) else found:
                if edit_distance(word, name, 1) <= 1:
                    return True
        return False


def _name_words(name: str) -> list[str]:
    """Each word of a name long enough to identify someone, folded."""
    return [w for w in (fold(w) for w in WORD.findall(name)) if len(w) >= MIN_NAME]


def _name_forms(name: str) -> set[str]:
    """Each word of a name, and the words typed joined together in any order ('gracekavira',
    'kaviragrace')."""
    parts = _name_words(name)
    forms = set(parts)
    if len(parts) > 1:
        forms |= {a + b for a, b in permutations(parts, 2)} | {"".join(parts)}
    return forms


def _kept_words(villages: Iterable[Village], codebook: CodeBook) -> frozenset[str]:
    """Words never taken for a name: place names and the code book's words stay readable even
    when a focal point bears them as a name."""
    phrases = [fold(n) for v in villages for n in (v.name, *v.alt_names)]
    phrases += [" ".join(words) for words in codebook.word_index()]
    phrases += [*codebook.keywords, *codebook.fillers]
    return frozenset(w for phrase in phrases for w in WORD.findall(phrase)) | _plain_words()


@cache
def _plain_words() -> frozenset[str]:
    raw = tomllib.loads(resources.files("gateway").joinpath("data/plain_words.toml")
                        .read_text("utf-8"))
    return frozenset(fold(w) for words in raw.values() for w in words)


def _deletions(word: str) -> list[str]:
    return [word[:i] + word[i + 1:] for i in range(len(word))]


def _masked(text: str, spans: list[Span]) -> str:
    """`text` with what is already found blanked out, positions kept."""
    for start, end, _ in spans:
        text = text[:start] + " " * (end - start) + text[end:]
    return text


def _replaced(text: str, spans: list[Span]) -> str:
    out: list[str] = []
    position = 0
    for start, end, label in sorted(spans):
        if start < position:
            continue
        if label == NAME and out and out[-1] == NAME and BETWEEN_NAMES.fullmatch(
                text[position:start]):
            position = end  # one [name] for a whole name
            continue
        out += [text[position:start], label]
        position = end
    return "".join([*out, text[position:]])
