"""Headquarters through its faults, on this machine: 2 real gateways (the daemon, a simulated
modem, SMS in) and 20 simulated bases (the gateway's own outbox and MQTT worker) publish during
bursts into the three-node cluster while the node that leads the messages stream, and holds
some of the bases' connections, is killed with SIGKILL and restarted; then every node is
restarted in turn; then the collector is killed mid-burst and restarted. Every alert ends in
headquarters' store exactly once, every outbox drains, every base is online again.
(bench/hq_collect.py does the same with 5 gateways and 100 bases, and measures.)"""

from __future__ import annotations

import time

import pytest

from gateway.sim.harness import query
from gateway.sim.hq_load import HqSite
from tests.hq.conftest import needs_nats_server


@pytest.fixture
def site(tmp_path):
    needs_nats_server()
    with HqSite(tmp_path, real=2, simulated=20, silent_after=20.0, ack_wait=3.0) as running:
        yield running


def test_every_alert_reaches_headquarters_once_through_node_kills_restarts_and_a_collector_kill(site):
    leader = site.stream_leader()
    on_leader = site.bases_on(leader)
    assert len(on_leader) >= 2, f"only {on_leader} on the stream's leader"
    killed: list[int] = []
    site.burst(per_base=6, seconds=6, midway=lambda: killed.append(site.kill_stream_leader()))
    assert killed == [leader]
    site.restart_node(leader)

    site.rolling_restart(between=lambda: site.burst(per_base=1, seconds=0.5))

    collector_pid = site.collector_pid
    site.burst(per_base=6, seconds=4, midway=site.kill_collector)
    site.start_collector()
    assert site.collector_pid != collector_pid

    started = time.monotonic()
    site.wait_settled(timeout=90)
    committed, at_hq = site.committed(), site.at_hq()
    assert len(committed) == 22 * (6 + 3 + 6)
    assert set(at_hq) == set(committed), "alerts lost or unknown ones at headquarters"
    db = site.hq_config.parent / "hq.db"
    assert query(db, "SELECT COUNT(*), COUNT(DISTINCT uid) FROM hq_alerts") == [(len(committed),) * 2]
    assert query(db, "SELECT COUNT(*) FROM hq_refused") == [(0,)]
    print(f"\n{len(committed)} alerts, {sum(c for _, _, c in at_hq.values()) - len(at_hq)} extra copies "
          f"de-duplicated; settled {time.monotonic() - started:.1f} s after the last burst")
