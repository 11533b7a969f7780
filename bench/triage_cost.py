"""What triage costs per alert when the base already has many open incidents.

A base with 2,400 villages on a grid (about 6.7 km apart, so that each is its own place) gets
10,000 open incidents (one report each, at villages and categories that do not group), then
single SMS arrive at random villages and categories, each stored in its own durable
transaction as the GSM worker does: most join an open incident, some open a new one. Prints,
for the same SMS with no incident open and with 10,000 open, the p50/p95/p99 of arrival (the
decoded SMS handed to the pipeline) -> committed, and of the part spent in triage (grouping,
counting, publishing the incident's new state). Target: p99 under 50 ms with 10,000 open.

    .venv/bin/python bench/triage_cost.py [--open 10000] [--samples 500]
"""

from __future__ import annotations

import argparse
import platform
import random
import tempfile
import time
from pathlib import Path

from stats import percentile

from gateway.alerts.codes import load_codebook
from gateway.alerts.pipeline import Pipeline
from gateway.config import load_config
from gateway.gsm.sms_pdu import decode_deliver
from gateway.sim.deliver_pdu import build_deliver_pdus
from gateway.sim.harness import write_config
from gateway.store import Store
from gateway.store import registry as reg
from gateway.store.inbox import NewMessage
from gateway.triage.intake import Triage

HERE = Path(__file__).parent
VILLAGES = 2400
CLASSES = ("1", "3", "5", "6", "7")  # armed men, abduction, sexual violence, flight, tension
BATCH = 500


def make_base(folder: Path) -> tuple[Store, Pipeline]:
    config = load_config(write_config(folder, mqtt_port=1883))
    store = Store.open(config.store.path)
    with store.transaction():
        for number in range(1, VILLAGES + 1):
            row, column = divmod(number, 50)
            store.db["villages"].insert({"number": number, "name": f"Village {number}",
                                         "alt_names": "[]", "lat": row * 0.06,
                                         "lon": 29.0 + column * 0.06})
        store.bump_meta_counter(reg.REGISTRY_VERSION)
    return store, Pipeline(store, config, load_codebook())


def fill(store: Store, pipeline: Pipeline, count: int) -> None:
    """`count` open incidents, one report each (distinct senders: nobody is throttled)."""
    combos = [(code, village) for village in range(1, VILLAGES + 1) for code in CLASSES]
    random.Random(7).shuffle(combos)
    now = time.time()
    for start in range(0, count, BATCH):
        with store.transaction():
            for n in range(start, min(count, start + BATCH)):
                code, village = combos[n]
                pipeline.record_message(NewMessage("sms", f"+24381{n:07d}",
                                                   f"{code} {village}", now))


class Timed(Triage):
    """The pipeline's triage, timed."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.spent: list[float] = []

    def file(self, db, alert, now):
        started = time.perf_counter()
        try:
            return super().file(db, alert, now)
        finally:
            self.spent.append(time.perf_counter() - started)


def measure(open_incidents: int, samples: int) -> tuple[list[float], list[float], int]:
    """(arrival -> committed, time in triage) per SMS, in seconds, and the incidents open."""
    with tempfile.TemporaryDirectory(dir=HERE) as folder:  # the project's disk, not a tmpfs
        store, pipeline = make_base(Path(folder))
        try:
            fill(store, pipeline, open_incidents)
            timed = pipeline.triage = Timed(store, pipeline.config, pipeline.registry.redact)
            chooser = random.Random(11)
            parts = [decode_deliver(build_deliver_pdus(
                f"+24382{n:07d}", f"{chooser.choice(CLASSES)} {chooser.randint(1, VILLAGES)}"
            )[0].hex) for n in range(samples)]
            latency = []
            for part in parts:
                started = time.perf_counter()
                pipeline.ingest_sms(part)
                latency.append(time.perf_counter() - started)
            still_open = store.db.execute("SELECT COUNT(*) FROM incidents WHERE state = 'open'"
                                          ).fetchone()[0]
            return latency, timed.spent, still_open
        finally:
            store.close()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--open", type=int, default=10_000, help="open incidents [10000]")
    parser.add_argument("--samples", type=int, default=500)
    args = parser.parse_args()
    print(f"# triage cost, {time.strftime('%Y-%m-%d %H:%M')}, {platform.node()}, "
          f"{platform.processor() or platform.machine()}, Python {platform.python_version()}, "
          f"WAL + synchronous=FULL, {VILLAGES} villages, one durable commit per SMS")
    print()
    print("| open incidents | samples | stage | p50 ms | p95 ms | p99 ms | max ms |")
    print("|---|---|---|---|---|---|---|")
    for count in (0, args.open):
        latency, spent, still_open = measure(count, args.samples)
        for label, values in (("arrival -> committed", latency), ("of which triage", spent)):
            ms = [v * 1000 for v in values]
            print(f"| {still_open:,} | {len(ms)} | {label} | {percentile(ms, 50):.1f} | "
                  f"{percentile(ms, 95):.1f} | {percentile(ms, 99):.1f} | {max(ms):.1f} |")
    print("\ntarget: p99 of arrival -> committed under 50 ms with 10,000 open incidents")


if __name__ == "__main__":
    main()
