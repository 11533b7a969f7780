"""The book of texts the base sends back: numbered broadcast templates, follow-ups, the answers
to STOP and START, and the words that stop and resume broadcasts (gateway/data/broadcasts.toml,
or `[outreach] templates`). Loading checks everything, so a bad edit is caught by `cangw config
check`: every text in every language, only the parameters a template declares."""

from __future__ import annotations

import string
import tomllib
from dataclasses import dataclass
from importlib import resources
from pathlib import Path

from gateway.alerts.codes import LANGUAGES
from gateway.alerts.text import fold
from gateway.errors import ConfigError

FOLLOW_UP_FIELDS = frozenset({"ref", "village"})
PLACE_UNKNOWN = "place_unknown"


@dataclass(frozen=True)
class Template:
    number: int
    name: str
    params: tuple[str, ...]
    texts: dict[str, str]

    def render(self, language: str, values: dict[str, str]) -> str:
        """The text in `language` with its parameters filled; ValueError names what is missing."""
        missing = [p for p in self.params if not (values.get(p) or "").strip()]
        if missing:
            raise ValueError(f"template {self.number} ({self.name}) needs "
                             + ", ".join(f"{p}=..." for p in missing))
        extra = sorted(set(values) - set(self.params))
        if extra:
            raise ValueError(f"template {self.number} ({self.name}) takes "
                             f"{', '.join(self.params) or 'no parameters'}, not {extra[0]}")
        return self.texts[language].format(**{k: v.strip() for k, v in values.items()})


@dataclass(frozen=True)
class Book:
    templates: dict[int, Template]
    follow_ups: dict[str, dict[str, str]]  # action -> language -> text
    replies: dict[str, dict[str, str]]  # stop / start -> language -> text
    keywords: dict[str, tuple[str, str]]  # folded word -> (stop|start, its language)

    def template(self, reference: str | int) -> Template:
        """A template by number or name; ValueError lists what there is."""
        text = str(reference).strip()
        found = self.templates.get(int(text)) if text.isdigit() else next(
            (t for t in self.templates.values() if t.name == text.lower()), None)
        if found is None:
            raise ValueError(f"no template {text!r}; the book has "
                             + ", ".join(f"{t.number} {t.name}" for t in self.templates.values()))
        return found

    def keyword(self, text: str) -> tuple[str, str] | None:
        """(stop|start, language) when a message is only one of the keywords."""
        return self.keywords.get(fold(text).strip(" .!?\n\r\t").upper())

    def follow_up(self, action: str, language: str, ref: str, village: str | None) -> str:
        texts = self.follow_ups[action]
        place = village or self.follow_ups[PLACE_UNKNOWN][language]
        return texts[language].format(ref=ref, village=place)


def load_book(path: Path | None = None) -> Book:
    """The book at `path`, or the built-in one; ConfigError says what is wrong and where."""
    if path is None:
        text = resources.files("gateway").joinpath("data/broadcasts.toml").read_text("utf-8")
        where = "built-in broadcasts.toml"
    else:
        try:
            text, where = Path(path).read_text(encoding="utf-8"), str(path)
        except OSError as exc:
            raise ConfigError(f"{path}: cannot read: {exc}") from None
    try:
        raw = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"{where}: not valid TOML: {exc}") from None
    unknown = set(raw) - {"broadcast", "follow_up", "reply", "keywords"}
    if unknown:
        raise ConfigError(f"{where}: unknown table [{sorted(unknown)[0]}]")
    templates = {}
    for number, entry in _tables(raw, "broadcast", where).items():
        template = _template(number, entry, f"{where}: [broadcast.{number}]")
        templates[template.number] = template
    names = [t.name for t in templates.values()]
    if len(set(names)) != len(names):
        raise ConfigError(f"{where}: two broadcast templates have the same name")
    follow_ups = {action: _texts(entry, FOLLOW_UP_FIELDS if action != PLACE_UNKNOWN else
                                 frozenset(), f"{where}: [follow_up.{action}]")
                  for action, entry in _tables(raw, "follow_up", where).items()}
    if PLACE_UNKNOWN not in follow_ups:
        raise ConfigError(f"{where}: [follow_up.{PLACE_UNKNOWN}] is missing")
    replies = {kind: _texts(entry, frozenset(), f"{where}: [reply.{kind}]")
               for kind, entry in _tables(raw, "reply", where).items()}
    return Book(templates, follow_ups, replies, _keywords(raw, replies, where))


def _tables(raw: dict, name: str, where: str) -> dict[str, dict]:
    value = raw.get(name, {})
    if not isinstance(value, dict) or not all(isinstance(v, dict) for v in value.values()):
        raise ConfigError(f"{where}: [{name}.*] must be tables")
    return value


def _template(number: str, entry: dict, where: str) -> Template:
    if not number.isdigit() or not 1 <= int(number) <= 255:
        raise ConfigError(f"{where}: a template's number is 1 to 255 (the satellite carries it)")
    name, params = entry.get("name"), entry.get("params", [])
    if not isinstance(name, str) or not name.strip():
        raise ConfigError(f"{where} name: expected a name such as 'armed_group'")
    if not isinstance(params, list) or not all(isinstance(p, str) and p.isidentifier()
                                               for p in params):
        raise ConfigError(f"{where} params: expected a list of names such as ['place']")
    texts = _texts({k: v for k, v in entry.items() if k not in ("name", "params")},
                   frozenset(params), where)
    return Template(int(number), name.strip().lower(), tuple(params), texts)


def _texts(entry: dict, allowed: frozenset[str], where: str) -> dict[str, str]:
    """A text per language, each using only `allowed` placeholders."""
    unknown = set(entry) - set(LANGUAGES)
    if unknown or set(LANGUAGES) - set(entry):
        raise ConfigError(f"{where}: expected a text for each of {', '.join(LANGUAGES)}"
                          + (f", not {sorted(unknown)[0]!r}" if unknown else ""))
    for language, text in entry.items():
        if not isinstance(text, str) or not text.strip():
            raise ConfigError(f"{where} {language}: expected a text")
        try:
            used = {name for _, name, _, _ in string.Formatter().parse(text) if name is not None}
        except ValueError as exc:
            raise ConfigError(f"{where} {language}: {exc}") from None
        if used - allowed:
            raise ConfigError(f"{where} {language}: {{{sorted(used - allowed)[0]}}} is not one of "
                              f"its parameters ({', '.join(sorted(allowed)) or 'none'})")
    return {language: str(text) for language, text in entry.items()}


def _keywords(raw: dict, replies: dict, where: str) -> dict[str, tuple[str, str]]:
    tables = _tables(raw, "keywords", where)
    if set(tables) != {"stop", "start"} or set(replies) != {"stop", "start"}:
        raise ConfigError(f"{where}: expected [keywords.stop], [keywords.start], [reply.stop] "
                          "and [reply.start]")
    found: dict[str, tuple[str, str]] = {}
    for kind, by_language in tables.items():
        for language, words in by_language.items():
            if language not in LANGUAGES or not isinstance(words, list):
                raise ConfigError(f"{where}: [keywords.{kind}] {language}: expected a list of "
                                  f"words, in one of {', '.join(LANGUAGES)}")
            for word in words:
                found[fold(str(word)).upper()] = (kind, language)
    return found
