"""What the hand-over costs: scrypt's key derivation at each cost (what a passphrase guess
costs an attacker, and what opening the bundle costs its owner), and a whole export and import
of a base's network through the CLI's functions.

    .venv/bin/python bench/handover_kdf.py [--focal 500] [--alerts 5000] [--rounds 3]
"""

from __future__ import annotations

import argparse
import os
import tempfile
import time
from pathlib import Path
from statistics import median

from gateway.alerts.codes import load_codebook
from gateway.config import load_config
from gateway.handover.envelope import Kdf
from gateway.handover.export_bundle import bundle_bytes
from gateway.handover.import_bundle import import_bundle, open_bundle
from gateway.sim.harness import queue_alerts, write_config
from gateway.store import Store
from gateway.store import registry as reg

PASSPHRASE = "mvua ya jioni kwenye milima"


def derive_times(rounds: int) -> dict[int, float]:
    """Median seconds of one derivation at each cost log2(N)."""
    return {log_n: median(_derive_time(Kdf(log_n)) for _ in range(rounds))
            for log_n in range(14, 19)}


def round_trip(focal: int, alerts: int) -> dict[str, float]:
    """Export a base of `focal` focal points and `alerts` alerts at the default cost, then
    import it into a fresh gateway: seconds each, and the bundle's size."""
    with tempfile.TemporaryDirectory() as folder:
        old, new = Path(folder, "old"), Path(folder, "new")
        old.mkdir()
        new.mkdir()
        config = load_config(write_config(old))
        queue_alerts(config.source, alerts)
        with Store.open(config.store.path) as store:
            for n in range(focal):
                reg.save_focal_point(store, reg.make_focal_point(
                    store, f"+2439971{n:05d}", f"Focal point {n}", None, "sw", "+243"))
            started = time.perf_counter()
            data, _ = bundle_bytes(store, config, load_codebook(), PASSPHRASE)
            exported = time.perf_counter() - started
        target = load_config(write_config(new))
        started = time.perf_counter()
        with Store.open(target.store.path) as store:
            import_bundle(store, target, open_bundle(data, PASSPHRASE), new / "files")
        return {"export_s": exported, "import_s": time.perf_counter() - started,
                "bundle_kb": len(data) / 1024}


def _derive_time(kdf: Kdf) -> float:
    started = time.perf_counter()
    kdf.derive(PASSPHRASE, os.urandom(16))
    return time.perf_counter() - started


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--focal", type=int, default=500)
    parser.add_argument("--alerts", type=int, default=5000)
    parser.add_argument("--rounds", type=int, default=3)
    args = parser.parse_args()
    for log_n, seconds in derive_times(args.rounds).items():
        print(f"scrypt N=2^{log_n} r=8 p=1 ({Kdf(log_n).memory >> 20} MiB): {seconds:.3f} s")
    figures = round_trip(args.focal, args.alerts)
    print(f"{args.focal} focal points, {args.alerts} alerts: export {figures['export_s']:.1f} s, "
          f"import {figures['import_s']:.1f} s, bundle {figures['bundle_kb']:.0f} KiB")


if __name__ == "__main__":
    main()
