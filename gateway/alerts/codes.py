"""The alert code book: what each code means, in which words, and how urgent it is.

The built-in book ships inside the package; `[codes] file` replaces it with a file of the same
shape. Loading validates everything so that a bad edit is caught by `cangw config check`.
"""

from __future__ import annotations

import tomllib
from dataclasses import dataclass
from importlib import resources
from pathlib import Path

from gateway.alerts.text import fold
from gateway.errors import CodeBookError

# The languages every code, acknowledgement and template is written in. A new one goes at the
# end: the satellite format numbers them in this order (docs/sbd-format.md).
LANGUAGES = ("fr", "sw", "en")
SEVERITIES = ("Extreme", "Severe", "Moderate", "Minor")
URGENCIES = ("Immediate", "Expected", "Future")
# Delivery order: unparsed reports may hide anything, so they travel with the Severe ones.
PRIORITY = {"Extreme": 0, "Severe": 1, "Unknown": 1, "Moderate": 2, "Minor": 3}


@dataclass(frozen=True)
class Code:
    number: str
    category: str
    severity: str
    urgency: str
    labels: dict[str, str]
    words: dict[str, tuple[str, ...]]

    def label(self, language: str) -> str:
        return self.labels.get(language) or self.labels["en"]


@dataclass(frozen=True)
class CodeBook:
    codes: dict[str, Code]
    keywords: dict[str, str | None]  # folded keyword -> language it reveals, if any
    fillers: frozenset[str]

    def word_index(self) -> dict[tuple[str, ...], tuple[Code, str]]:
        """Folded word sequences -> (code, language), for the parser."""
        index: dict[tuple[str, ...], tuple[Code, str]] = {}
        for code in self.codes.values():
            for language, words in code.words.items():
                for word in (*words, code.labels[language]):
                    index.setdefault(tuple(fold(word).split()), (code, language))
        return index


def load_codebook(path: Path | None = None) -> CodeBook:
    """Load the code book at `path`, or the built-in one."""
    if path is None:
        text = resources.files("gateway").joinpath("data/codebook.toml").read_text("utf-8")
        where = "built-in code book"
    else:
        try:
            text = Path(path).read_text(encoding="utf-8")
        except OSError as exc:
            raise CodeBookError(f"{path}: cannot read: {exc}") from None
        where = str(path)
    try:
        raw = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise CodeBookError(f"{where}: not valid TOML: {exc}") from None
    return _parse(raw, where)


def _parse(raw: dict, where: str) -> CodeBook:
    unknown = set(raw) - {"code", "keywords", "fillers"}
    if unknown:
        raise CodeBookError(f"{where}: unknown key {sorted(unknown)[0]!r}")
    entries = raw.get("code")
    if not isinstance(entries, dict) or not entries:
        raise CodeBookError(f"{where}: expected at least one [code.N] table")
    codes = {}
    for number, entry in entries.items():
        codes[number] = _parse_code(str(number), entry, f"{where}: [code.{number}]")
    return CodeBook(
        codes=codes,
        keywords=_parse_keywords(raw.get("keywords", {}), f"{where}: keywords"),
        fillers=frozenset(fold(w) for w in _strings(raw.get("fillers", []), f"{where}: fillers")),
    )


def _parse_code(number: str, entry: object, where: str) -> Code:
    if not number.isdigit():
        raise CodeBookError(f"{where}: code numbers must be digits (typed on a keypad)")
    if not isinstance(entry, dict):
        raise CodeBookError(f"{where}: expected a table")
    allowed = {"category", "severity", "urgency", "label", "words"}
    if set(entry) - allowed:
        raise CodeBookError(f"{where}: unknown key {sorted(set(entry) - allowed)[0]!r}")
    severity = entry.get("severity")
    if severity not in SEVERITIES:
        raise CodeBookError(f"{where} severity: expected one of {', '.join(SEVERITIES)}")
    urgency = entry.get("urgency")
    if urgency not in URGENCIES:
        raise CodeBookError(f"{where} urgency: expected one of {', '.join(URGENCIES)}")
    category = entry.get("category")
    if not isinstance(category, str) or not category:
        raise CodeBookError(f"{where} category: expected a non-empty string")
    labels = entry.get("label")
    if not isinstance(labels, dict) or any(lang not in labels for lang in LANGUAGES):
        raise CodeBookError(f"{where} label: expected a label for each of {', '.join(LANGUAGES)}")
    words = entry.get("words", {})
    if not isinstance(words, dict):
        raise CodeBookError(f"{where} words: expected a table of word lists per language")
    return Code(
        number=number,
        category=category,
        severity=severity,
        urgency=urgency,
        labels={lang: str(labels[lang]) for lang in labels},
        words={lang: tuple(_strings(ws, f"{where} words.{lang}")) for lang, ws in words.items()},
    )


def _parse_keywords(value: object, where: str) -> dict[str, str | None]:
    if not isinstance(value, dict) or set(value) - {*LANGUAGES, "any"}:
        raise CodeBookError(f"{where}: expected a table of word lists by language (or 'any')")
    keywords: dict[str, str | None] = {}
    for language, words in value.items():
        for word in _strings(words, f"{where}.{language}"):
            keywords[fold(word)] = None if language == "any" else language
    return keywords


def _strings(value: object, where: str) -> list[str]:
    if not isinstance(value, list) or not all(isinstance(v, str) and v.strip() for v in value):
        raise CodeBookError(f"{where}: expected a list of non-empty strings")
    return value
