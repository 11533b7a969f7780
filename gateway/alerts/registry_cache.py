"""A snapshot of the registry, rebuilt only when the CLI changes it (a counter in `meta`).

The daemon and the CLI are separate processes that meet in the SQLite file; the counter lets
the daemon notice a `cangw focal import` without re-reading the registry for every message.
"""

from __future__ import annotations

import re

from gateway.alerts.codes import CodeBook
from gateway.alerts.parser import AlertParser
from gateway.alerts.text import fold
from gateway.store import Store
from gateway.store import registry as reg

MIN_NAME = 3


class RegistryCache:
    def __init__(self, store: Store, codebook: CodeBook):
        self.store = store
        self.codebook = codebook
        self._version: str | None = None
        self._parser: AlertParser | None = None
        self._names: re.Pattern | None = None
        self._stations: re.Pattern | None = None

    def _refresh(self) -> None:
        version = self.store.meta(reg.REGISTRY_VERSION, "0")
        if version == self._version:
            return
        villages = reg.villages(self.store)
        self._parser = AlertParser(self.codebook, villages)
        # place names and code words stay readable even when a focal point bears them as a name
        keep = {fold(n) for v in villages for n in (v.name, *v.alt_names)}
        keep |= {" ".join(words) for words in self.codebook.word_index()}
        found = {fold(n) for p in reg.focal_points(self.store) for n in _name_parts(p.name)}
        names = sorted(found - keep, key=len, reverse=True)
        self._names = re.compile(r"\b(" + "|".join(map(re.escape, names)) + r")\b") if names else None
        # a registered station under any SSID: 9Q2KAM, 9Q2KAM-1, 9q2kam-12
        stations = sorted({p.callsign.partition("-")[0] for p in reg.focal_points(self.store)
                           if p.callsign}, key=len, reverse=True)
        self._stations = re.compile(r"\b(?:" + "|".join(stations) + r")(?:-\d{1,2})?\b",
                                    re.IGNORECASE) if stations else None
        self._version = version

    @property
    def parser(self) -> AlertParser:
        self._refresh()
        assert self._parser is not None
        return self._parser

    def redact(self, text: str) -> str:
        """Free text safe to leave the base: focal points' names, phone numbers and callsigns
        removed."""
        self._refresh()
        text = re.sub(r"\+?\d[\d .-]{7,}\d", "[number]", text)
        if self._stations is not None:
            text = self._stations.sub("[callsign]", text)
        if self._names is None:
            return text
        folded = fold(text)
        if len(folded) != len(text):  # folding changed lengths: redact on the folded text
            return self._names.sub("[name]", folded) if self._names.search(folded) else text
        spans = [m.span() for m in self._names.finditer(folded)]
        for start, end in reversed(spans):
            text = text[:start] + "[name]" + text[end:]
        return text


def _name_parts(name: str) -> list[str]:
    """The full name and each of its words long enough to identify someone."""
    words = [w for w in name.split() if len(w) >= MIN_NAME]
    return [name, *words] if len(words) > 1 else words
