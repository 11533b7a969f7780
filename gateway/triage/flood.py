"""One sender must not bury the others.

Exact repeats (the same sender, channel and text within `repeat_window`) fold into the first
alert: the message is kept, the alert's `repeats` grows, nothing else is raised. A sender heard
more than `rate_limit` times within `rate_window` is throttled, never silenced: each message is
still stored, triaged and forwarded (marked `throttled`, after everyone else's), but they get one
acknowledgement per window and their alerts no longer sound the panel. Senders are counted by
pseudonym, so the counts hold whatever the store does with numbers.
"""

from __future__ import annotations

from collections.abc import Callable

from sqlite_utils import Database

from gateway.alerts.codes import PRIORITY
from gateway.store import alerts as alert_store
from gateway.store import flow, inbox
from gateway.store.alerts import AlertRow
from gateway.store.inbox import NewMessage
from gateway.triage.config import TriageConfig

THROTTLED_PRIORITY = max(PRIORITY.values()) + 1  # a throttled sender's alerts leave last


class FloodControl:
    def __init__(self, settings: TriageConfig, pseudonymise: Callable[[str | None], str | None]):
        self.settings = settings
        self.pseudonymise = pseudonymise

    def arrive(self, db: Database, sender: str | None, at: float) -> tuple[bool, bool]:
        """Count a message from `sender` (a pseudonym); (throttled, acknowledge it)."""
        if sender is None:
            return False, True
        count, last_ack = flow.arrive(db, sender, at, self.settings.rate_window,
                                      self.settings.rate_limit + 1)
        throttled = count > self.settings.rate_limit
        acknowledge = not throttled or last_ack is None or at - last_ack >= self.settings.rate_window
        if acknowledge:
            flow.acknowledged(db, sender, at)
        return throttled, acknowledge

    def fold_repeat(self, db: Database, message: NewMessage) -> AlertRow | None:
        """Keep `message` as a repeat of the alert it copies exactly, if there is one within
        `repeat_window`; that alert (its `repeats` counted), else None."""
        if not message.sender or not self.settings.repeat_window or message.decode_error \
                or not message.text.strip():
            return None
        original = alert_store.recent_copy(db, message.channel, message.sender, message.text,
                                           message.received_at - self.settings.repeat_window)
        if original is None:
            return None
        flow.fold(db, inbox.insert_message(db, message), original.id)
        self.arrive(db, self.pseudonymise(message.sender), message.received_at)
        return alert_store.get(db, original.id)
