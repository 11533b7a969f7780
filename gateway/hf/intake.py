"""Messages heard on HF -> alerts: what a shared radio channel needs before the common pipeline.

An HF channel hears the base's own transmissions (digipeated back) and several copies of one
frame (digipeaters, a TNC's retries, an operator who sends again). A copy of a report from the
same sender within `repeat_window` folds into the first alert (its `repeats` count grows)
instead of raising a second one, and the base's own callsign never raises one. The check runs
on the store, so it holds across a restart.
"""

from __future__ import annotations

from dataclasses import dataclass

from gateway.alerts.pipeline import Pipeline
from gateway.hf.config import HfConfig
from gateway.hf.link import Heard
from gateway.store import alerts as alert_store
from gateway.store.inbox import NewMessage

CHANNEL = "hf"


@dataclass(frozen=True)
class Taken:
    """What one heard message led to: a new alert, a copy of an earlier one, or our own echo."""

    alert: alert_store.AlertRow | None = None
    copy_of: alert_store.AlertRow | None = None
    own: bool = False


class HfIntake:
    def __init__(self, pipeline: Pipeline, config: HfConfig):
        self.pipeline = pipeline
        self.config = config

    def take(self, heard: Heard, received_at: float) -> Taken:
        """Commit a heard message (or count it as a copy) and announce a new alert. Raises on a
        store failure; the caller keeps the message and tries again."""
        if heard.sender == self.config.callsign:
            return Taken(own=True)
        with self.pipeline.store.transaction() as db:
            original = alert_store.recent_copy(db, CHANNEL, heard.sender, heard.text,
                                               received_at, self.config.repeat_window)
            if original is not None:
                alert_store.add_repeat(db, original.id)
                return Taken(copy_of=original)
            alert = self.pipeline.record_message(NewMessage(
                CHANNEL, heard.sender, heard.text, received_at, raw=heard.raw.hex(),
                decode_error="the line does not match line_pattern" if heard.unmatched else None))
        self.pipeline.announce(alert)
        return Taken(alert=alert)
