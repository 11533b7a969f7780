"""The base-station daemon: start the configured links, supervise them, stop cleanly.

Runs until SIGTERM or SIGINT. On the way out it stops receiving first, then lets the MQTT
link publish a final status; everything already committed stays in the store for next time.

Health has one meaning here, used twice: every worker is alive and its loop has beaten within
`stuck_after`. Only then does the supervisor ping systemd's watchdog (so a hung thread gets the
daemon restarted) and pulse the panel's power LED (which stops blinking).
"""

from __future__ import annotations

import logging
import signal
import threading
import time
from collections.abc import Callable
from functools import partial

from gpiozero.pins import Factory

from gateway import __version__, features, wipe
from gateway.alerts.codes import load_codebook
from gateway.alerts.pipeline import PRIORITY
from gateway.clock import ClockWatch
from gateway.config import Config
from gateway.feature import WorkerArgs
from gateway.liveness import hold
from gateway.repeats import Repeats
from gateway.sd_notify import SystemdNotifier
from gateway.store import Store, free_disk_mb, outbox
from gateway.store.integrity import open_checked
from gateway.store.retention import DailyPurge
from gateway.workers import Notifier, Worker

log = logging.getLogger(__name__)

SUPERVISE_EVERY = 1.0
STOP_TIMEOUT = 15.0
STUCK_AFTER = 150.0  # a worker whose loop has not beaten for this long is stuck
READY_WAIT = 30.0  # READY=1 after this even if a link is still down (it keeps retrying)
DISK_EVERY, DISK_REPEAT = 60.0, 3600.0  # check free space each minute, repeat a warning hourly


class Daemon:
    supervise_every = SUPERVISE_EVERY  # seconds between passes (a test may take them faster)

    def __init__(self, config: Config, stuck_after: float = STUCK_AFTER,
                 systemd: SystemdNotifier | None = None, pin_factory: Factory | None = None):
        self.config = config
        self.codebook = load_codebook(config.codes.file if config.codes else None)
        self.notifier = Notifier()
        self.stopping = threading.Event()
        self.workers: list[Worker] = []
        self._makers: list[Callable[[], Worker]] = []
        self.pin_factory = pin_factory
        self.stuck_after = stuck_after
        self.systemd = systemd or SystemdNotifier()
        self._started = self._pinged = self._disk_checked = 0.0
        self._ready = False
        self._stuck: list[str] = []
        self._disk_warnings = Repeats(DISK_REPEAT)
        longest_wait = max(outbox.RETRY_CAP, features.longest_delay(config, tuple(PRIORITY)))
        self.clock = ClockWatch(config.store.path, longest_wait)
        self.retention = DailyPurge(partial(Store.open, config.store.path, migrate=False,
                                            key_file=config.store.data_key),
                                    config.store.retention_days, time.time)

    def _make_workers(self) -> list[Worker]:
        """One worker per configured link, in the declared order (gateway/features.py)."""
        args = WorkerArgs(self.config, self.codebook, self.notifier, self.pin_factory)
        self._makers = [partial(feature.worker, args) for feature in features.FEATURES
                        if feature.enabled(self.config)]
        return [make() for make in self._makers]

    def run(self) -> int:
        """Run until stopped (0), or until the gateway is wiped (EXIT_WIPED: it then refuses
        to start again until it is set up again). 1 when another daemon runs on this store."""
        if wipe.wiped(self.config):  # a wipe, perhaps cut short: finish it, never receive
            return wipe.refuse_to_start(self.config)
        lock = hold(self.config.store.path)  # tells the console the daemon runs
        if lock is None:
            log.error("another cangw daemon is running on %s; not starting a second",
                      self.config.store.path)
            return 1
        with lock, wipe.daemon_lock(self.config.store.path):
            self._run()
        return wipe.refuse_to_start(self.config) if wipe.wiped(self.config) else 0

    def _run(self) -> None:
        # checks, creates or migrates first
        store = open_checked(self.config.store.path, self.config.store.data_key)
        log.info("cangw %s starting for base %s (%s), store %s, schema %s", __version__,
                 self.config.base.id, self.config.base.name, store.path, store.schema_version()[-1])
        store.close()
        self.clock.start()
        self.workers = self._make_workers()
        if not self.workers:
            log.warning("no [gsm], [hf] or [mqtt] section: nothing to receive or forward")
        self._started = time.monotonic()
        for worker in self.workers:
            worker.start()
        self._install_signals()
        while not self.stopping.wait(self.supervise_every):
            if wipe.wiped(self.config):  # by a worker, the CLI or the console: stop receiving
                break
            self._supervise()
        self._shutdown()

    def stop(self, *_: object) -> None:
        self.stopping.set()

    def _install_signals(self) -> None:
        if threading.current_thread() is threading.main_thread():
            signal.signal(signal.SIGTERM, self.stop)
            signal.signal(signal.SIGINT, self.stop)

    def _supervise(self) -> None:
        self.clock.check()
        for index, worker in enumerate(self.workers):
            if not worker.is_alive() and not worker.stopping.is_set():
                log.error("worker %s died; starting a new one", worker.name)
                replacement = self._makers[index]()  # built as the first one was
                self.workers[index] = replacement
                replacement.start()
        now = time.monotonic()
        self._announce_ready(now)
        stuck = self.unhealthy(now)
        if stuck != self._stuck:
            if stuck:
                log.error("worker(s) %s stuck (no heartbeat for %.0f s): the watchdog is no "
                          "longer pinged, so systemd restarts the daemon", ", ".join(stuck),
                          self.stuck_after)
                self.systemd.send(f"STATUS=stuck: {', '.join(stuck)}")
            else:
                self.systemd.send("STATUS=running")
            self._stuck = stuck
        if not stuck:
            self.notifier("healthy")  # the panel's power LED blinks on this pulse
            interval = self.systemd.watchdog_interval
            if interval is not None and now - self._pinged >= interval:
                self.systemd.send("WATCHDOG=1")
                self._pinged = now
        if now - self._disk_checked >= DISK_EVERY:
            self._check_disk(now)
        self.retention.tick()

    def unhealthy(self, now: float) -> list[str]:
        """Workers that are dead or whose loop has not beaten within `stuck_after`."""
        return [w.name for w in self.workers
                if not w.is_alive() or now - w.heartbeat > self.stuck_after]

    def _announce_ready(self, now: float) -> None:
        """READY=1 once every link is up, or after READY_WAIT with the links still down named
        (a missing modem must not make systemd kill and restart us in a loop)."""
        if self._ready:
            return
        down = [w.name for w in self.workers if not w.up.is_set()]
        if down and now - self._started < READY_WAIT:
            return
        self._ready = True
        state = f"running; not up yet: {', '.join(down)}" if down else "running"
        self.systemd.send("READY=1", f"STATUS={state}")
        log.info("ready (%s)", state)

    def _check_disk(self, now: float) -> None:
        self._disk_checked = now
        free_mb = free_disk_mb(self.config.store.path)
        if free_mb >= self.config.store.min_free_mb:
            self._disk_warnings.clear()
        elif self._disk_warnings.due("low disk", now):
            log.warning("only %d MB free for the store (below [store] min_free_mb = %d): "
                        "still receiving, but free some space; a message that cannot be "
                        "stored stays on the SIM", free_mb, self.config.store.min_free_mb)

    def _shutdown(self) -> None:
        log.info("stopping")
        self.systemd.send("STOPPING=1")
        for worker in self.workers:  # receiving first, the uplink last
            worker.stop()
            self.notifier(worker.name)
            worker.join(STOP_TIMEOUT)
            if worker.is_alive():
                log.error("worker %s did not stop within %.0f s", worker.name, STOP_TIMEOUT)
        self.clock.stop()
        log.info("stopped")
