"""The worker behind the silence watch and the daily network aggregate: every `watch_every`
seconds it records missed check-ins, and once a day, from `network_at` local time, it queues
the network's figures for headquarters (retained)."""

from __future__ import annotations

import datetime as dt
import logging
import time
from collections.abc import Callable

from gateway.alerts.codes import CodeBook
from gateway.alerts.registry_cache import RegistryCache
from gateway.config import Config
from gateway.timeutil import local_zone
from gateway.triage.report import LAST_PUBLISHED, publish_network
from gateway.triage.watch import SilenceWatch
from gateway.workers import Notifier, StoreWorker

log = logging.getLogger(__name__)


class WatchService(StoreWorker):
    def __init__(self, config: Config, codebook: CodeBook, notifier: Notifier,
                 clock: Callable[[], float] = time.time):
        super().__init__("watch", config.store.path)
        self.config = config
        self.settings = config.triage
        self.codebook = codebook
        self.notifier = notifier
        self.clock = clock
        self.zone = local_zone(config.base.timezone)
        self.watch: SilenceWatch | None = None

    def loop(self) -> None:
        if self.open_store():
            store = self._store()
            self.watch = SilenceWatch(store, self.config, RegistryCache(store, self.codebook).redact)
            self.link_up()
        while not self.stopping.is_set():
            self.beat()
            self.turn(self.clock())
            self.stopping.wait(self.settings.watch_every)

    def cleanup(self) -> None:
        self.close_store()

    def turn(self, now: float) -> None:
        """One look: missed check-ins, then the day's aggregate if it is due."""
        assert self.watch is not None
        if self.watch.check(now):
            for destination in ("mqtt", "panel", "status"):
                self.notifier(destination)
        store = self._store()
        local = dt.datetime.fromtimestamp(now, self.zone)
        today = local.date().isoformat()
        due = local.hour * 60 + local.minute >= self.settings.network_minutes()
        if due and store.meta(LAST_PUBLISHED) != today and publish_network(store, self.config, now):
            with store.transaction():
                store.set_meta(LAST_PUBLISHED, today)
            log.info("network figures for %s queued for headquarters", today)
            self.notifier("mqtt")
