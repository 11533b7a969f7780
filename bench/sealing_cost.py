"""What sealing identities at rest costs: per alert, and on the technician's slowest command.

    .venv/bin/python bench/sealing_cost.py [--alerts 1000] [--cli 20000] [--rounds 3]
        [--baseline DIR]

First the unit costs: one value sealed, one opened, one identity's look-up key (an alert from
a registered sender takes about sixteen of them). Per alert: decoded SMS handed to the
pipeline (as the GSM worker does after AT+CMGR), each in its own durable transaction, on the
project's disk: the wall time from the hand-over to the commit (p50, p95) and the CPU
milliseconds per alert (which the disk's fsync does not blur).
Then the slowest `cangw` read command on a store of `--cli` alerts (bench/cli_growth.py).

`--baseline DIR` runs the same measurement, alternating rounds, against the `gateway` package
of another tree (the version before sealing, e.g. `git archive <commit> gateway | tar -x -C
DIR`) and prints both side by side with the difference.
"""

from __future__ import annotations

import argparse
import json
import os
import secrets
import subprocess
import sys
import tempfile
import time
import timeit
from pathlib import Path
from statistics import median

import cli_growth
from core import realistic_texts
from stats import percentile

from gateway.alerts.codes import load_codebook
from gateway.alerts.pipeline import Pipeline
from gateway.config import load_config
from gateway.gsm.sms_pdu import decode_deliver
from gateway.sim.deliver_pdu import build_deliver_pdus
from gateway.sim.harness import write_config
from gateway.store import Store
from gateway.store import registry as reg

HERE = Path(__file__).parent
FOCAL_POINTS = 300


def unit_costs(samples: int = 20_000) -> dict[str, float]:
    """Microseconds per seal, open and look-up key (best of 5 runs)."""
    from gateway.store.crypto import KEY_BYTES, Sealer  # not in a baseline tree

    sealer = Sealer(secrets.token_bytes(KEY_BYTES))
    text = "alerte 2 kamango 15 hommes armés"
    sealed = sealer.seal(text)
    operations = {"seal": lambda: sealer.seal(text), "open": lambda: sealer.unseal(sealed),
                  "look-up key": lambda: sealer.identity_key("+243997412583")}
    return {name: min(timeit.repeat(call, number=samples, repeat=5)) / samples * 1e6
            for name, call in operations.items()}


def per_alert(count: int) -> dict[str, float]:
    """Wall p50/p95 (ms) from hand-over to commit, and CPU ms per alert."""
    with tempfile.TemporaryDirectory(dir=HERE) as folder:
        config = load_config(write_config(Path(folder), mqtt_port=1883))
        parts = [decode_deliver(build_deliver_pdus(f"+2439900{n % 500:05d}", text)[0].hex)
                 for n, text in enumerate(realistic_texts(count))]
        with Store.open(config.store.path) as store:
            for n in range(FOCAL_POINTS):  # every look-up of a sender goes through the registry
                reg.save_focal_point(store, reg.make_focal_point(
                    store, f"+2439900{n:05d}", f"Focal point {n}", None, None, "+243"))
            pipeline = Pipeline(store, config, load_codebook())
            times, cpu = [], time.process_time()
            for part in parts:
                started = time.perf_counter()
                pipeline.ingest_sms(part)
                times.append(time.perf_counter() - started)
            cpu = time.process_time() - cpu
    return {"p50_ms": percentile(times, 50) * 1000, "p95_ms": percentile(times, 95) * 1000,
            "cpu_ms": cpu / count * 1000}


def slowest_command(alerts: int) -> dict[str, object]:
    timings = cli_growth.timings(alerts)
    label = max(timings, key=lambda name: timings[name])
    return {"slowest_cli_s": timings[label], "slowest_cli": label}


def measure(alerts: int, cli: int) -> dict[str, object]:
    return {**per_alert(alerts), **slowest_command(cli)}


def in_tree(tree: Path | None, alerts: int, cli: int) -> dict:
    """One measurement in a child process using the `gateway` package of `tree` (None: this one)."""
    env = dict(os.environ)
    if tree is not None:
        env["PYTHONPATH"] = str(tree)
    output = subprocess.run(
        [sys.executable, str(Path(__file__)), "--one", "--alerts", str(alerts), "--cli", str(cli)],
        env=env, check=True, capture_output=True, text=True).stdout
    return json.loads(output.strip().splitlines()[-1])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--alerts", type=int, default=1000)
    parser.add_argument("--cli", type=int, default=20_000)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--baseline", type=Path)
    parser.add_argument("--one", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.one:
        print(json.dumps(measure(args.alerts, args.cli)))
        return
    print("unit costs: " + ", ".join(f"{name} {us:.1f} us" for name, us in unit_costs().items()))
    trees = {"sealed (this tree)": None} | (
        {f"before ({args.baseline})": args.baseline} if args.baseline else {})
    runs: dict[str, list[dict]] = {name: [] for name in trees}
    for _ in range(args.rounds):  # alternate, so that a busy moment hurts both
        for name, tree in trees.items():
            runs[name].append(in_tree(tree, args.alerts, args.cli))
    print(f"{args.alerts} SMS through the pipeline ({FOCAL_POINTS} focal points registered), "
          f"`cangw` read commands on {args.cli} alerts; medians of {args.rounds} rounds")
    results = {}
    for name, samples in runs.items():
        results[name] = {key: median(s[key] for s in samples)
                         for key in ("p50_ms", "p95_ms", "cpu_ms", "slowest_cli_s")}
        slowest = samples[-1]["slowest_cli"]
        figures = results[name]
        print(f"{name:>40}: arrival -> committed p50 {figures['p50_ms']:.2f} ms, "
              f"p95 {figures['p95_ms']:.2f} ms; CPU {figures['cpu_ms']:.3f} ms per alert; "
              f"slowest command {figures['slowest_cli_s'] * 1000:.0f} ms ({slowest})")
    if args.baseline:
        after, before = results["sealed (this tree)"], results[f"before ({args.baseline})"]
        print(f"{'overhead per alert':>40}: p50 {after['p50_ms'] - before['p50_ms']:+.2f} ms, "
              f"CPU {after['cpu_ms'] - before['cpu_ms']:+.3f} ms; slowest command "
              f"{(after['slowest_cli_s'] - before['slowest_cli_s']) * 1000:+.0f} ms")


if __name__ == "__main__":
    main()
