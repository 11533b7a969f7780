"""Alarm panel: how soon the buzzer sounds after a severe SMS, and what following the store costs.

In one process, as in the daemon: the GSM worker on the simulated modem, the pipeline, and the
panel worker on gpiozero's mock pins. Prints p50/p95/p99/max of
  (a) the modem's +CMTI -> buzzer pin on,  (b) alert committed -> buzzer pin on,
  (c) button released -> buzzer pin off,
then the cost of one panel refresh (read_view) on stores of 1,000 and 10,000 alerts, and the CPU
the idle panel worker uses.

    .venv/bin/python bench/panel_latency.py [--samples 30]
"""

from __future__ import annotations

import argparse
import datetime as dt
import platform
import tempfile
import time
from pathlib import Path

from gpiozero.pins.mock import MockFactory
from stats import percentile

from gateway.alerts.codes import load_codebook
from gateway.config import load_config
from gateway.gsm.service import GsmService
from gateway.panel.service import PanelService
from gateway.panel.view import read_view
from gateway.sim.gsm_modem import SimulatedModem
from gateway.sim.harness import query, wait_for, write_config
from gateway.store import Store
from gateway.workers import Notifier

BUZZER, BUTTON = 18, 25
PANEL = f"\n[panel]\nbuzzer = {BUZZER}\nbutton = {BUTTON}\nalert = 23\ngsm = 27\npower = 17\n"


def on_at(pin, state: bool, after: float, timeout: float = 5.0) -> float:
    """The monotonic time the mock pin first entered `state` after `after` (from its history)."""
    def moment():
        changes, at = [], pin._last_change
        for change in reversed(pin.states[1:]):
            changes.append((at, change.state))
            at -= change.timestamp
        return next((t for t, s in reversed(changes) if t >= after and s == state), None)
    return wait_for(moment, timeout, interval=0.001, what=f"pin {state}")


def latencies(samples: int) -> dict[str, list[float]]:
    results: dict[str, list[float]] = {"cmti": [], "commit": [], "press": []}
    with tempfile.TemporaryDirectory() as folder, SimulatedModem() as sim:
        config = load_config(write_config(Path(folder), sim.path, extra=PANEL))
        Store.open(config.store.path).close()  # created and migrated, as the daemon does first
        factory, notifier, book = MockFactory(), Notifier(), load_codebook()
        gsm = GsmService(config, book, notifier)
        panel = PanelService(config, book, notifier, pin_factory=factory)
        gsm.start()
        panel.start()
        db = config.store.path
        wait_for(lambda: query(db, "SELECT 1 FROM link_status WHERE state = 'up'"), 15,
                 what="GSM up")
        buzzer, button = factory.pin(BUZZER), factory.pin(BUTTON)
        try:
            for n in range(samples):
                events = len(sim.events)
                before = time.monotonic()
                sim.inject_sms(f"+2439900{n:05d}", "alerte 2 Kamango")
                cmti_wall = wait_for(lambda e=events: [t for t, k, _ in sim.events[e:]
                                                       if k == "cmti"], what="+CMTI")[0]
                # the mock pins keep monotonic times; the store and the simulator wall times
                offset = time.time() - time.monotonic()
                sounding = on_at(buzzer, True, before)
                committed = wait_for(lambda m=n: query(
                    db, "SELECT created_at FROM alerts WHERE seq = ?", [m + 1]), what="commit")
                results["cmti"].append(sounding + offset - cmti_wall)
                results["commit"].append(sounding + offset - committed[0][0])
                time.sleep(0.3)
                button.drive_low()
                time.sleep(0.05)
                released = time.time()
                button.drive_high()
                seen = wait_for(lambda m=n: query(
                    db, "SELECT seen_at FROM alerts_seen WHERE alert_id = ?", [m + 1]), what="seen")
                results["press"].append(seen[0][0] - released)
                wait_for(lambda: panel.view.buzzer is None, what="the pattern stopped")
                time.sleep(0.4)  # let the press's chirp end
        finally:
            gsm.stop()
            panel.stop()
            gsm.join(10)
            panel.join(10)
    return results


def refresh_cost(alerts: int, repeats: int = 200) -> list[float]:
    with tempfile.TemporaryDirectory() as folder:
        config = load_config(write_config(Path(folder), extra=PANEL))
        with Store.open(config.store.path) as store:
            with store.transaction() as db:
                for n in range(1, alerts + 1):
                    db.execute(
                        "INSERT INTO alerts (uid, seq, ref, channel, code, severity, urgency, text,"
                        " registered, language, received_at, created_at) VALUES"
                        " (?, ?, ?, 'sms', ?, ?, 'Immediate', '', 0, 'fr', ?, ?)",
                        [f"KWJ-0-{n}", n, f"KWJ-{n:04d}", str(n % 10),
                         ("Extreme", "Severe", "Moderate", "Minor")[n % 4], n, n])
                # all but the last 10 were seen
                db.execute("INSERT INTO alerts_seen SELECT id, 0, 'bench' FROM alerts"
                           " WHERE id <= ?", [alerts - 10])
            now = dt.datetime.now()
            timings = []
            for _ in range(repeats):
                start = time.perf_counter()
                read_view(store.db, config.panel, now)
                timings.append(time.perf_counter() - start)
    return timings


def idle_cpu(seconds: float = 10.0) -> float:
    with tempfile.TemporaryDirectory() as folder:
        config = load_config(write_config(Path(folder), extra=PANEL))
        Store.open(config.store.path).close()
        panel = PanelService(config, load_codebook(), Notifier(), pin_factory=MockFactory())
        panel.start()
        time.sleep(1)
        cpu, wall = time.process_time(), time.monotonic()
        time.sleep(seconds)
        used = (time.process_time() - cpu) / (time.monotonic() - wall)
        panel.stop()
        panel.join(10)
    return used


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--samples", type=int, default=30)
    args = parser.parse_args()
    print(f"# Alarm panel, {time.strftime('%Y-%m-%d %H:%M')}, {platform.node()}, "
          f"{platform.processor() or platform.machine()}, Python {platform.python_version()}, "
          "simulated SIM800 at 115200 baud, gpiozero MockFactory pins, WAL + synchronous=FULL")
    results = latencies(args.samples)
    print("\n| stage | samples | p50 ms | p95 ms | p99 ms | max ms |\n|---|---|---|---|---|---|")
    for key, label in (("cmti", "(a) +CMTI -> buzzer on"), ("commit", "(b) committed -> buzzer on"),
                       ("press", "(c) button released -> seen, pattern stops")):
        values = [v * 1000 for v in results[key]]
        print(f"| {label} | {len(values)} | {percentile(values, 50):.1f} | "
              f"{percentile(values, 95):.1f} | {percentile(values, 99):.1f} | {max(values):.1f} |")
    print("\n| alerts in store | refresh p50 ms | p99 ms |\n|---|---|---|")
    for size in (1000, 10000):
        values = [v * 1000 for v in refresh_cost(size)]
        print(f"| {size} | {percentile(values, 50):.2f} | {percentile(values, 99):.2f} |")
    print(f"\nidle panel worker: {idle_cpu():.2%} of one core (refresh twice a second, power LED "
          "heartbeat)")


if __name__ == "__main__":
    main()
