"""Headquarters collecting from many bases through its three-node cluster, with faults.

Real gateways (`cangw run`, a simulated modem, SMS in) and simulated bases (the gateway's own
outbox and MQTT worker, no modem) publish bursts into a local three-node NATS cluster that
`cangw hq-collect` reads into headquarters' store (gateway/sim/hq_load.py). Phases: a steady
burst; a burst during which the node leading the messages stream (and holding a third of the
bases) gets SIGKILL, restarted after; a rolling restart of the three nodes with alerts between;
a burst during which the collector gets SIGKILL, restarted; a backlog read by a collector
started afresh. After each phase: every outbox drained, every alert in headquarters' store
once, every base online.

Figures: base commit -> headquarters' store p50/p99 (steady, during the node kill, during the
collector kill); the longest gap between two alerts stored by the cluster during the fail-over;
messages and alerts per second the collector reads from a backlog; each node's and the
collector's resident memory (now and peak).

    .venv/bin/python bench/hq_collect.py [--real 5] [--simulated 100] [--per-base 10] [--seconds 20]
"""

from __future__ import annotations

import argparse
import itertools
import logging
import signal
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

from stats import percentile

from gateway.sim.harness import process_figure, query, wait_for
from gateway.sim.hq_load import HqSite


def latency(site: HqSite, uids: set[str]) -> str:
    committed, at_hq = site.committed(), site.at_hq()
    delays = [at_hq[uid][0] - committed[uid] for uid in uids]
    return f"p50 {percentile(delays, 50):.2f} s, p99 {percentile(delays, 99):.2f} s, max {max(delays):.2f} s"


def longest_gap(site: HqSite, uids: set[str]) -> float:
    """The longest wait between two alerts of `uids` stored by the cluster (its PUBACK times)."""
    stored = sorted(site.at_hq()[uid][1] for uid in uids)
    return max((b - a for a, b in itertools.pairwise(stored)), default=0.0)


def phase(site: HqSite, name: str, action: Callable[[], None], timeout: float = 300.0) -> set[str]:
    """Run a phase, wait until it settled; the alerts it made."""
    before = set(site.committed())
    started = time.monotonic()
    action()
    site.wait_settled(timeout)
    made = set(site.committed()) - before
    print(f"{name}: {len(made)} alerts, settled {time.monotonic() - started:.1f} s after it began",
          flush=True)
    return made


def check_exactly_once(site: HqSite) -> str:
    committed, at_hq = site.committed(), site.at_hq()
    db = site.hq_config.parent / "hq.db"
    (rows, distinct), = query(db, "SELECT COUNT(*), COUNT(DISTINCT uid) FROM hq_alerts")
    lost, unknown = set(committed) - set(at_hq), set(at_hq) - set(committed)
    copies = sum(c for _, _, c in at_hq.values()) - len(at_hq)
    return (f"{len(committed)} alerts committed at the bases, {rows} rows at headquarters "
            f"({distinct} distinct), {len(lost)} lost, {len(unknown)} unknown, {copies} extra "
            "copies de-duplicated")


def memory(site: HqSite) -> str:
    figures = []
    for node in site.cluster.nodes:
        if node.pid is not None and node.is_ours():
            figures.append(f"{node.address.name} {process_figure(node.pid, 'status', 'VmRSS') // 1024} MB"
                           f" (peak {process_figure(node.pid, 'status', 'VmHWM') // 1024} MB)")
    pid = site.collector_pid
    figures.append(f"collector {process_figure(pid, 'status', 'VmRSS') // 1024} MB"
                   f" (peak {process_figure(pid, 'status', 'VmHWM') // 1024} MB)")
    return ", ".join(figures)


def backlog_rate(site: HqSite, per_base: int) -> str:
    """The collector stopped, `per_base` alerts at every simulated base delivered to the
    cluster, then a collector started: how fast it reads them into the store."""
    site.stop_collector()
    uids = set(site.simulated.commit(per_base))
    wait_for(lambda: site.waiting() == 0, timeout=600, interval=0.5, what="the backlog in the cluster")
    started = time.monotonic()
    site.start_collector()
    wait_for(lambda: uids <= set(site.at_hq()), timeout=600, interval=0.2, what="the backlog read")
    seconds = time.monotonic() - started
    at_hq = site.at_hq()
    stored = [at_hq[uid][0] for uid in uids]
    reading = max(stored) - min(stored)
    return (f"{len(uids)} alerts read in {reading:.1f} s: {len(uids) / reading:.0f} alerts/s "
            f"({seconds:.1f} s from the collector's start, {len(uids) / seconds:.0f} alerts/s with "
            "its start-up)")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--real", type=int, default=5, help="real gateways (daemon + simulated modem)")
    parser.add_argument("--simulated", type=int, default=100, help="simulated bases")
    parser.add_argument("--per-base", type=int, default=10, help="alerts per base in each burst")
    parser.add_argument("--seconds", type=float, default=20.0, help="length of each burst")
    parser.add_argument("--backlog", type=int, default=100, help="alerts per simulated base in the backlog")
    args = parser.parse_args()
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(1))  # stop every process it started
    logging.getLogger("gateway").setLevel(logging.CRITICAL)  # the simulated bases' reconnections
    with tempfile.TemporaryDirectory(prefix="cangw-hq-collect-") as folder, \
            HqSite(Path(folder), args.real, args.simulated, silent_after=60.0, ack_wait=5.0) as site:
        print(f"{args.real} real gateways and {args.simulated} simulated bases connected", flush=True)

        def burst() -> None:
            site.burst(args.per_base, args.seconds)

        steady = phase(site, "steady burst", burst)
        leader = site.stream_leader()
        on_leader = len(site.bases_on(leader))
        killed_at: list[float] = []

        def node_kill() -> None:
            site.burst(args.per_base, args.seconds,
                       midway=lambda: (killed_at.append(time.time()), site.kill_stream_leader()))
            site.restart_node(leader)

        failover = phase(site, f"node kill (the stream's leader, {on_leader} bases on it)", node_kill)
        phase(site, "rolling restart", lambda: site.rolling_restart(
            between=lambda: site.burst(2, 2)))

        def collector_kill() -> None:
            site.burst(args.per_base, args.seconds, midway=site.kill_collector)
            site.start_collector()

        collector = phase(site, "collector kill", collector_kill)
        print("\nfigures")
        print(f"  base commit -> headquarters' store, steady: {latency(site, steady)}")
        print(f"  base commit -> headquarters' store, node kill burst: {latency(site, failover)}")
        print(f"  base commit -> headquarters' store, collector kill burst: {latency(site, collector)}")
        print(f"  longest gap between alerts stored by the cluster: steady {longest_gap(site, steady):.2f} s,"
              f" node kill {longest_gap(site, failover):.2f} s")
        print(f"  memory after the faults: {memory(site)}")
        print(f"  exactly once: {check_exactly_once(site)}")
        print(f"  backlog: {backlog_rate(site, args.backlog)}")
        print(f"  memory after the backlog: {memory(site)}")
        print(f"  exactly once: {check_exactly_once(site)}")


if __name__ == "__main__":
    main()
