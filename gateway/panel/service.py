"""The worker that drives the alarm panel from the store, woken when an alert is committed.

It never blocks the pipeline: the pipeline only sets a wake-up event, and this thread reads the
store and drives the pins. Button presses arrive on gpiozero's thread and are handed over
through a queue, so the store is only ever touched from this thread.
"""

from __future__ import annotations

import datetime as dt
import logging
import math
import os
import queue
import time
from collections.abc import Callable

from gpiozero.pins import Factory

from gateway.alerts.codes import CodeBook
from gateway.alerts.seen import SeenMarker
from gateway.clock import now as clock_now
from gateway.config import Config
from gateway.errors import LinkError
from gateway.gsm.power import open_relay
from gateway.panel import selftest
from gateway.panel.devices import PanelDevices, cycle_outputs
from gateway.panel.view import PanelView, read_view
from gateway.store import alerts as alert_store
from gateway.timeutil import local_zone
from gateway.wipe import wipe
from gateway.workers import Notifier, StoreWorker

log = logging.getLogger(__name__)

TICK = 0.5  # the power LED's half-period, and how often the store is read without a wake-up
HEALTHY_WITHIN = 5.0  # the supervisor's pulse must be this recent for the power LED to blink
DOWN, UP, SHORT, LONG = "down", "up", "short", "long"


class PanelService(StoreWorker):
    def __init__(self, config: Config, codebook: CodeBook, notifier: Notifier,
                 pin_factory: Factory | None = None, clock: Callable[[], float] = clock_now):
        super().__init__("panel", config.store.path)
        assert config.panel is not None
        self.config = config
        self.panel = config.panel
        self.notifier = notifier
        self.pin_factory = pin_factory
        self.clock = clock
        self.zone = local_zone(config.base.timezone)
        self.presses: queue.Queue[str] = queue.Queue()
        self.view = PanelView()
        self.marker: SeenMarker | None = None
        self.devices: PanelDevices | None = None
        self._held = False
        self._held_at = 0.0
        self._chirp = False
        self._healthy_at = -math.inf
        self._beat_at = -math.inf
        self._last_test: str | None = None

    def loop(self) -> None:
        if self.open_store():
            self.marker = SeenMarker(self._store(), self.config, self.notifier)
        if self.devices is None:
            # lgpio (the Pi's GPIO library) makes a FIFO in its working folder, which for a
            # service is often / and not writable; the store's folder is ours
            os.environ.setdefault("LG_WD", str(self.config.store.path.parent))
            self.devices = PanelDevices(self.panel, self.pin_factory)
            self._wire_button()
            self.link_up()
            log.info("panel ready: %s", ", ".join(f"{name} GPIO {pin}"
                                                  for name, pin in self.panel.pins().items()))
        while not self.stopping.is_set():
            self.beat()
            self.notifier.wait("panel", TICK)
            self._take_presses()
            self._run_requested_test()
            self._refresh()
            self._heartbeat()

    def cleanup(self) -> None:
        if self.devices is not None:
            self.devices.close()
            self.devices = None
        self.close_store()

    # -- button (called on gpiozero's thread: only flags and the queue here) ------------------
    def _wire_button(self) -> None:
        button = self._devices().button
        if button is None:
            return
        button.when_pressed = self._on_pressed
        button.when_held = self._on_held
        button.when_released = self._on_released

    def _on_pressed(self) -> None:
        self._held = False
        self.presses.put(DOWN)
        self.notifier("panel")

    def _on_held(self) -> None:
        self._held, self._held_at = True, time.monotonic()
        self.presses.put(LONG)
        self.notifier("panel")

    def _on_released(self) -> None:
        self.presses.put(UP if self._held else SHORT)
        self.notifier("panel")

    def _take_presses(self) -> None:
        while True:
            try:
                press = self.presses.get_nowait()
            except queue.Empty:
                return
            if press == DOWN:  # the wipe's countdown, until the button is let go
                self._devices().count_down(self.panel.long_press)
                continue
            self._devices().forget_buzzer()  # released (or held to the end): the view again
            if press == LONG:
                log.warning("panel button held %.0f s: EMERGENCY WIPE", self.panel.long_press)
                wipe(self.config, "panel", self._held_at)
                return
            if press == SHORT:
                self._mark_shown_seen()
                self._chirp = True

    def _mark_shown_seen(self) -> None:
        """A short press: every alert the panel was showing is seen (not one that arrived
        since the last refresh: that one still has to be noticed)."""
        db = self._store().db
        shown = [a for a in (alert_store.get(db, i) for i in self.view.shown) if a is not None]
        if not shown:
            log.info("panel button pressed: no unseen alert to mark")
            return
        assert self.marker is not None
        self.marker.mark(shown, "button", self.clock())

    # -- display ------------------------------------------------------------------------------
    def _refresh(self) -> None:
        local_now = dt.datetime.fromtimestamp(self.clock(), self.zone)
        view = read_view(self._store().db, self.panel, local_now)
        if view.buzzer and view.buzzer != self.view.buzzer:
            log.info("panel: %d unseen alert(s), buzzer sounds the %s pattern", len(view.shown),
                     view.buzzer)
        self.view = view
        devices = self._devices()
        devices.show(view)
        if self._chirp:
            devices.chirp()
            self._chirp = False

    def _heartbeat(self) -> None:
        pulse = self.notifier.event("healthy")
        now = time.monotonic()
        if pulse.is_set():
            pulse.clear()
            self._healthy_at = now
        if now - self._beat_at >= TICK * 0.9:
            self._beat_at = now
            self._devices().heartbeat(now - self._healthy_at < HEALTHY_WITHIN)

    # -- `cangw panel test` through the daemon -------------------------------------------------
    def _run_requested_test(self) -> None:
        store = self._store()
        wanted = selftest.pending(store, self.clock(), self._last_test)
        if wanted is None:
            return
        self._last_test = wanted.id
        selftest.record(store, selftest.STARTED, wanted)
        log.info("panel test requested: cycling every output")
        relay, problem = None, None
        if wanted.relay and self.panel.modem_power is not None:
            try:
                relay = open_relay(self.panel.modem_power, self.panel.modem_power_active_high,
                                   self.pin_factory)
            except LinkError as exc:
                problem = str(exc)
        devices = self._devices()
        try:
            steps = cycle_outputs(devices, relay, wanted.seconds, self.stopping, log.info)
        finally:
            if relay is not None:
                relay.close()
            devices.forget()
        selftest.record(store, selftest.DONE, wanted, steps=steps, problem=problem)

    def _devices(self) -> PanelDevices:
        assert self.devices is not None
        return self.devices
