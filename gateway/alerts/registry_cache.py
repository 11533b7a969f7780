"""A snapshot of the registry, rebuilt only when the CLI changes it (a counter in `meta`).

The daemon and the CLI are separate processes that meet in the SQLite file; the counter lets
the daemon notice a `cangw focal import` without re-reading the registry for every message.
"""

from __future__ import annotations

from gateway.alerts.codes import CodeBook
from gateway.alerts.parser import AlertParser
from gateway.alerts.redaction import Redactor
from gateway.store import Store
from gateway.store import registry as reg


class RegistryCache:
    def __init__(self, store: Store, codebook: CodeBook):
        self.store = store
        self.codebook = codebook
        self._version: str | None = None
        self._parser: AlertParser | None = None
        self._redactor: Redactor | None = None

    def _refresh(self) -> None:
        version = self.store.meta(reg.REGISTRY_VERSION, "0")
        if version == self._version:
            return
        villages = reg.villages(self.store)
        self._parser = AlertParser(self.codebook, villages)
        self._redactor = Redactor(reg.focal_points(self.store), villages, self.codebook)
        self._version = version

    @property
    def parser(self) -> AlertParser:
        self._refresh()
        assert self._parser is not None
        return self._parser

    def redact(self, text: str) -> str:
        """Free text safe to leave the base: focal points' names, phone numbers and callsigns
        removed (gateway/alerts/redaction.py)."""
        self._refresh()
        assert self._redactor is not None
        return self._redactor(text)
