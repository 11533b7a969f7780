"""Missed-call and keypad timings through the real daemon and the simulated modem.

For each sample a caller rings (RING + caller ID). Prints p50/p95/max of: first RING -> call
rejected (AT hang-up reaches the modem), first RING -> alert committed, and how long the call
stayed connected (what the caller is charged for: it must be 0 for a missed call). Then the
same for keypad calls: first RING -> answered, last key -> alert committed.

    .venv/bin/python bench/call_latency.py [--samples 20]
"""

from __future__ import annotations

import argparse
import platform
import tempfile
import time
from pathlib import Path

from stats import percentile

from gateway.sim.broker import Broker
from gateway.sim.gsm_modem import SimulatedModem
from gateway.sim.harness import DaemonProcess, query, wait_for, wait_until_gsm_up, write_config
from gateway.store import Store
from gateway.store import registry as reg

KEYPAD_USER = "+243990000101"


def alert_created(db: Path, after: float) -> float:
    sql = "SELECT MAX(created_at) FROM alerts WHERE created_at > ?"
    return wait_for(lambda: (query(db, sql, [after]) or [(None,)])[0][0], what="alert")


def events_of(sim: SimulatedModem, kind: str, after: float) -> float:
    return wait_for(lambda: next((t for t, k, _ in sim.events if k == kind and t > after), None),
                    what=kind)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--samples", type=int, default=20)
    args = parser.parse_args()
    print(f"# Call handling, {time.strftime('%Y-%m-%d %H:%M')}, {platform.node()}, "
          f"Python {platform.python_version()}, simulated SIM800 at 115200 baud, real mosquitto")
    missed = {"rejected": [], "committed": [], "connected": []}
    keypad = {"answered": [], "committed": [], "connected": []}
    with tempfile.TemporaryDirectory() as folder, Broker() as broker, SimulatedModem() as sim:
        work = Path(folder)
        config = write_config(work, sim.path, broker.port,
                              extra='\n[calls]\nkeypad = "flagged"\nfold_window = 0\n')
        db = work / "gateway.db"
        with Store.open(db) as store:
            reg.save_focal_point(store, reg.make_focal_point(store, KEYPAD_USER, "Kahindo", None,
                                                             "fr", "+243", keypad=True))
        with DaemonProcess(config) as daemon:
            wait_until_gsm_up(db, daemon)
            for i in range(args.samples):
                call = sim.call(f"+2439977{i:05d}", ring_interval=3)
                wait_for(lambda c=call: not c.active, what="missed call ended")
                rejected = events_of(sim, "hang_up", call.rang_at)
                committed = alert_created(db, call.rang_at)
                missed["rejected"].append(rejected - call.rang_at)
                missed["committed"].append(committed - call.rang_at)
                missed["connected"].append(call.connected_seconds)
                time.sleep(0.3)
            for _ in range(max(5, args.samples // 4)):
                call = sim.call(KEYPAD_USER, digits="2#", ring_interval=3, key_interval=0.2)
                wait_for(lambda c=call: not c.active, timeout=30, what="keypad call ended")
                committed = alert_created(db, call.rang_at)
                last_key = call.ended_at  # the gateway hangs up on '#', the last key
                keypad["answered"].append(call.answered_at - call.rang_at)
                keypad["committed"].append(committed - last_key)
                keypad["connected"].append(call.connected_seconds)
                time.sleep(0.3)
            daemon.stop()
    print("\n| call | figure | samples | p50 | p95 | max |\n|---|---|---|---|---|---|")
    rows = [("missed", "first RING -> call rejected (ms)", missed["rejected"], 1000),
            ("missed", "first RING -> alert committed (ms)", missed["committed"], 1000),
            ("missed", "seconds connected (charged)", missed["connected"], 1),
            ("keypad", "first RING -> answered (ms)", keypad["answered"], 1000),
            ("keypad", "hang-up after '#' -> alert committed (ms)", keypad["committed"], 1000),
            ("keypad", "seconds connected (2 keys, 0.2 s apart)", keypad["connected"], 1)]
    for kind, label, values, scale in rows:
        scaled = [v * scale for v in values]
        print(f"| {kind} | {label} | {len(scaled)} | {percentile(scaled, 50):.1f} | "
              f"{percentile(scaled, 95):.1f} | {max(scaled):.1f} |")
    answered = sum(1 for v in missed["connected"] if v > 0)
    print(f"\nmissed calls answered: {answered} of {len(missed['connected'])}")


if __name__ == "__main__":
    main()
