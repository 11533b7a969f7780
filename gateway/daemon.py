"""The base-station daemon: start the configured links, supervise them, stop cleanly.

Runs until SIGTERM or SIGINT. On the way out it stops receiving first, then lets the MQTT
link publish a final status; everything already committed stays in the store for next time.
"""

from __future__ import annotations

import logging
import signal
import threading
import time

from gateway import __version__
from gateway.codes import load_codebook
from gateway.config import Config
from gateway.gsm_service import GsmService
from gateway.hf_service import HfService
from gateway.mqtt_service import MqttService
from gateway.panel_service import PanelService
from gateway.sbd.service import SbdService
from gateway.store import Store
from gateway.workers import Notifier, Worker

log = logging.getLogger(__name__)

SUPERVISE_EVERY = 1.0
STOP_TIMEOUT = 15.0
STUCK_AFTER = 150.0  # a worker whose loop has not beaten for this long is stuck


class Daemon:
    def __init__(self, config: Config):
        self.config = config
        self.codebook = load_codebook(config.codes.file if config.codes else None)
        self.notifier = Notifier()
        self.stopping = threading.Event()
        self.workers: list[Worker] = []

    def _make_workers(self) -> list[Worker]:
        workers: list[Worker] = []
        if self.config.gsm is not None:
            workers.append(GsmService(self.config, self.codebook, self.notifier))
        if self.config.hf is not None:
            workers.append(HfService(self.config, self.codebook, self.notifier))
        if self.config.panel is not None and self.config.panel.pins():
            workers.append(PanelService(self.config, self.codebook, self.notifier))
        if self.config.sbd is not None:
            workers.append(SbdService(self.config, self.codebook, self.notifier))
        if self.config.mqtt is not None:
            workers.append(MqttService(self.config, self.codebook, self.notifier))
        return workers

    def run(self) -> int:
        store = Store.open(self.config.store.path)  # creates or migrates before any worker
        log.info("cangw %s starting for base %s (%s), store %s, schema %s", __version__,
                 self.config.base.id, self.config.base.name, store.path, store.schema_version()[-1])
        store.close()
        self.workers = self._make_workers()
        if not self.workers:
            log.warning("no [gsm], [hf] or [mqtt] section: nothing to receive or forward")
        for worker in self.workers:
            worker.start()
        self._install_signals()
        while not self.stopping.wait(SUPERVISE_EVERY):
            self._supervise()
        self._shutdown()
        return 0

    def stop(self, *_: object) -> None:
        self.stopping.set()

    def _install_signals(self) -> None:
        if threading.current_thread() is threading.main_thread():
            signal.signal(signal.SIGTERM, self.stop)
            signal.signal(signal.SIGINT, self.stop)

    def _supervise(self) -> None:
        for index, worker in enumerate(self.workers):
            if not worker.is_alive() and not worker.stopping.is_set():
                log.error("worker %s died; starting a new one", worker.name)
                replacement = type(worker)(self.config, self.codebook, self.notifier)
                self.workers[index] = replacement
                replacement.start()
        now = time.monotonic()
        if all(w.is_alive() and now - w.heartbeat < STUCK_AFTER for w in self.workers):
            self.notifier("healthy")  # the panel's power LED blinks on this pulse

    def _shutdown(self) -> None:
        log.info("stopping")
        for worker in self.workers:  # receiving first, the uplink last
            worker.stop()
            self.notifier(worker.name)
            worker.join(STOP_TIMEOUT)
            if worker.is_alive():
                log.error("worker %s did not stop within %.0f s", worker.name, STOP_TIMEOUT)
        log.info("stopped")

