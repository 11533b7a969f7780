"""A problem that lasts is logged once, then again every 10 minutes while it lasts: a modem left
unplugged, a broker down for hours or a full disk must not fill the journal (or the SD card)."""

from __future__ import annotations

import time
from collections import Counter
from collections.abc import Callable

REPEAT_EVERY = 600.0


class Repeats:
    def __init__(self, every: float = REPEAT_EVERY,
                 clock: Callable[[], float] = time.monotonic):
        self.every = every
        self.clock = clock
        self._said: dict[str, float] = {}  # what -> when it was last said
        self._unsaid: Counter[str] = Counter()  # what -> times it came back since then

    def due(self, what: str, now: float | None = None) -> bool:
        """True when `what` has not been said within `every` seconds; it then counts as said."""
        now = self.clock() if now is None else now
        self._said = {key: at for key, at in self._said.items() if now - at < self.every}
        if what in self._said:
            self._unsaid[what] += 1
            return False
        self._said[what] = now
        return True

    def unsaid(self, what: str) -> int:
        """How many times `what` came back unsaid before it was last due (say it with it)."""
        return self._unsaid.pop(what, 0)

    def clear(self) -> None:
        """The problems are over: the next one is said at once."""
        self._said.clear()
        self._unsaid.clear()
