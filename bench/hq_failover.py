"""Headquarters' cluster losing the node that leads the MQTT messages stream, several times.

Each round: a headquarters session (QoS 1, persistent) subscribes on the leader and goes
offline; a base publishes QoS 1 alerts at a steady rate on another node; halfway the leader gets
SIGKILL, a second client starts connecting to a surviving node, and the killed node is started
again once every alert has its PUBACK; the session then resumes on a surviving node. Figures:
the longest wait between two PUBACKs, the PUBACK delay of alerts sent after the kill, how long
new connections were refused, whether the killed node also led JetStream's meta group, how long
the killed node took to be healthy again, alerts PUBACKed but never delivered (must be 0) and
alerts delivered twice.

    .venv/bin/python bench/hq_failover.py [--rounds 5] [--rate 50] [--seconds 20]
"""

from __future__ import annotations

import argparse
import itertools
import statistics
import tempfile
import threading
import time
from pathlib import Path

from gateway.hq.cluster import HqCluster
from gateway.sim.mqtt_probe import MqttProbe


def _connect_time(cluster: HqCluster, node: int, client_id: str, since: float, done: list[float]) -> None:
    """Try to connect every 0.2 s from `since` on; record when a CONNACK 0 came."""
    while True:
        probe = MqttProbe(cluster, node, "base-BNI", client_id)
        try:
            if probe.connect(timeout=5) == 0:
                done.append(time.monotonic() - since)
                return
        except Exception:  # refused, reset, or no CONNACK in time: try again
            pass
        finally:
            probe.close()
        time.sleep(0.2)


def one_round(cluster: HqCluster, number: int, rate: float, seconds: float) -> dict[str, float]:
    cluster.wait_ready(60)
    leader = cluster.stream_leader()
    assert leader is not None
    survivor = next(n for n in range(3) if n != leader)
    meta_leader_too = float(cluster.meta_leader() == cluster.nodes[leader].address.name)
    session = MqttProbe(cluster, leader, "hq-collector", f"bench-session-{number}", clean=False)
    assert session.connect() == 0 and session.subscribe("can/v1/KWJ/alerts") == 1
    session.close()
    base = MqttProbe(cluster, survivor, "base-KWJ", f"bench-base-{number}")
    assert base.connect() == 0
    sent: dict[int, tuple[bytes, float]] = {}
    start, killed_at, connected_after = time.monotonic(), 0.0, []
    for n in range(int(rate * seconds)):
        time.sleep(max(0.0, start + n / rate - time.monotonic()))
        if not killed_at and n >= rate * seconds / 2:
            killed_at = time.monotonic()
            cluster.stop_node(leader, kill=True)
            probe_args = (cluster, survivor, f"bench-probe-{number}", killed_at, connected_after)
            threading.Thread(target=_connect_time, args=probe_args, daemon=True).start()
        payload = f"round{number}-alert{n}".encode()
        sent[base.publish("can/v1/KWJ/alerts", payload)] = (payload, time.monotonic())
    deadline = time.monotonic() + 120
    while len(base.acked) < len(sent) and time.monotonic() < deadline:
        time.sleep(0.05)
    base.close()
    restarted = time.monotonic()
    cluster.start_node(leader, timeout=120)
    healthy = time.monotonic() - restarted
    resumed = MqttProbe(cluster, survivor, "hq-collector", f"bench-session-{number}", clean=False)
    assert resumed.connect() == 0
    acked = {sent[mid][0] for mid in base.acked}
    received = resumed.receive_until(lambda got: acked <= {m.payload for m in got}, timeout=60)
    resumed.close()
    times = sorted(base.acked.values())
    after_kill = [base.acked[mid] - at for mid, (_, at) in sent.items()
                  if at > killed_at and mid in base.acked]
    return {"longest PUBACK gap s": max(b - a for a, b in itertools.pairwise(times)),
            "PUBACK delay after kill, max s": max(after_kill, default=float("nan")),
            "connect refused for s": connected_after[0] if connected_after else float("nan"),
            "killed node healthy after restart s": healthy,
            "killed node was also the meta leader": meta_leader_too,
            "sent": len(sent), "PUBACKed": len(acked),
            "lost": len(acked - {m.payload for m in received}),
            "duplicates": len(received) - len({m.payload for m in received})}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--rate", type=float, default=50.0, help="alerts per second from the base")
    parser.add_argument("--seconds", type=float, default=20.0, help="length of each burst")
    args = parser.parse_args()
    rows = []
    with tempfile.TemporaryDirectory(prefix="cangw-hq-bench-") as folder, \
            HqCluster(Path(folder), ["KWJ", "BNI"]) as cluster:
        for number in range(args.rounds):
            rows.append(one_round(cluster, number, args.rate, args.seconds))
            figures = (f"{key} {value:.1f}" if isinstance(value, float) else f"{key} {value}"
                       for key, value in rows[-1].items())
            print(f"round {number + 1}: " + ", ".join(figures), flush=True)
    for key in rows[0]:
        values = [row[key] for row in rows]
        print(f"{key}: median {statistics.median(values):.1f}, max {max(values):.1f}")


if __name__ == "__main__":
    main()
