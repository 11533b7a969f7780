"""Login sessions, CSRF tokens and the login rate limit, held in the console's memory.

Sessions live in memory on purpose: writing a "last seen" time to the store on every click
would wear the SD card, and a console restart asking everyone to log in again is harmless.
A session is a random token in an HttpOnly cookie; it carries its own CSRF token, ends after
`idle` seconds without a request, and ends when its user's password changes or the user goes.
"""

from __future__ import annotations

import hmac
import secrets
import time
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass, field


@dataclass
class Session:
    token: str
    csrf: str
    last_used: float
    user_id: int | None = None
    user_changed_at: float | None = None  # the password's date when the session began


MAX_SESSIONS = 2000  # past this, the least recently used sessions make room


@dataclass
class Sessions:
    idle: float
    clock: Callable[[], float] = time.monotonic
    limit: int = MAX_SESSIONS
    _by_token: dict[str, Session] = field(default_factory=dict)

    def new(self, user_id: int | None = None, changed_at: float | None = None) -> Session:
        """A fresh session (anonymous before login: it carries the login form's CSRF token).
        Each login page shown opens one, so their number is capped: the least recently used
        (anonymous ones first) end to make room."""
        self._expire()
        if len(self._by_token) >= self.limit:
            oldest = sorted(self._by_token.values(),
                            key=lambda s: (s.user_id is not None, s.last_used))
            for session in oldest[:len(self._by_token) - self.limit + 1]:
                del self._by_token[session.token]
        session = Session(secrets.token_urlsafe(32), secrets.token_urlsafe(32), self.clock(),
                          user_id, changed_at)
        self._by_token[session.token] = session
        return session

    def get(self, token: str | None, touch: bool = True) -> Session | None:
        """The live session for a cookie's token; `touch` counts this as activity (a live
        feed's open stream does not, so an unattended page still times out)."""
        session = self._by_token.get(token or "")
        if session is None:
            return None
        now = self.clock()
        if now - session.last_used > self.idle:
            del self._by_token[session.token]
            return None
        if touch:
            session.last_used = now
        return session

    def end(self, token: str | None) -> None:
        self._by_token.pop(token or "", None)

    def end_all(self) -> None:
        """Everyone is signed out (the gateway was wiped)."""
        self._by_token.clear()

    def _expire(self) -> None:
        now = self.clock()
        for token in [t for t, s in self._by_token.items() if now - s.last_used > self.idle]:
            del self._by_token[token]

    def __len__(self) -> int:
        return len(self._by_token)


def csrf_matches(session: Session | None, offered: str | None) -> bool:
    if session is None or not offered:
        return False
    return hmac.compare_digest(session.csrf, offered)


@dataclass
class LoginLimiter:
    """At most `per_user` failed logins for one name and `per_address` from one address within
    `window` seconds; past that, logins are refused without checking the password."""

    per_user: int = 5
    per_address: int = 20
    window: float = 900.0
    clock: Callable[[], float] = time.monotonic
    _failures: dict[str, deque[float]] = field(default_factory=dict)

    def blocked(self, name: str, address: str) -> bool:
        return (self._count(f"user:{name}") >= self.per_user
                or self._count(f"addr:{address}") >= self.per_address)

    def failed(self, name: str, address: str) -> None:
        now = self.clock()
        for key in (f"user:{name}", f"addr:{address}"):
            self._failures.setdefault(key, deque()).append(now)

    def succeeded(self, name: str) -> None:
        self._failures.pop(f"user:{name}", None)

    def _count(self, key: str) -> int:
        times = self._failures.get(key)
        if not times:
            return 0
        while times and self.clock() - times[0] > self.window:
            times.popleft()
        if not times:
            del self._failures[key]
        return len(times)
