"""The outreach worker: what happens to broadcasts and follow-ups between the sends and the
reports. Every turn (a second, or at once when the GSM worker records a send or a report) it
expires the messages whose report never came, fails the ones whose sending was given up,
answers new incident changes with follow-ups, and keeps each broadcast's state and summary
for headquarters."""

from __future__ import annotations

import logging
import time

from gateway.alerts.codes import CodeBook
from gateway.config import Config
from gateway.outreach.config import outreach_settings
from gateway.outreach.follow_ups import FollowUps
from gateway.outreach.summary import Summaries
from gateway.outreach.templates import load_book
from gateway.store import deliveries
from gateway.workers import Notifier, StoreWorker

log = logging.getLogger(__name__)

TURN = 1.0


class OutreachService(StoreWorker):
    def __init__(self, config: Config, codebook: CodeBook, notifier: Notifier):
        super().__init__("outreach", config.store.path)
        self.config = config
        self.notifier = notifier
        self.follow_ups: FollowUps | None = None
        self.summaries = Summaries(config)

    def loop(self) -> None:
        if self.open_store():
            self.follow_ups = FollowUps(self.config, load_book(
                outreach_settings(self.config).templates), self._store().pseudonymiser())
            self.link_up()
        while not self.stopping.is_set():
            self.beat()
            self.turn(time.time())
            self.notifier.wait("outreach", TURN)

    def cleanup(self) -> None:
        self.close_store()

    def turn(self, now: float) -> None:
        assert self.follow_ups is not None
        with self._store().transaction() as db:
            expired = deliveries.expire_due(db, now)
            failed = deliveries.fail_unsent(db, now)
            follow_ups = self.follow_ups.run(db, now)
            summaries = self.summaries.run(db, now)
        if expired or failed:
            log.info("%d message(s) expired without a status report, %d given up",
                     len(expired), failed)
        if follow_ups:
            for destination in ("sms", "hf"):
                self.notifier(destination)
        if summaries:
            self.notifier("mqtt")
