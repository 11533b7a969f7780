"""A backlog for a broker that is down: the daemon's memory while thousands of alerts wait on
disk, then how fast and in what order they leave when the broker returns.

The real daemon (MQTT only) starts with its broker down; alerts are committed to its store as
the pipeline does (a backlog without waiting for the modem). Its resident memory is read before
and after the backlog, once the worker has gone over the full outbox several times. Then a real
mosquitto comes up, with a subscriber in place before the daemon gets through, and the backlog
drains: its time, and whether it arrived most severe first, then oldest first.

    .venv/bin/python bench/backlog.py [--alerts 5000]
"""

from __future__ import annotations

import argparse
import tempfile
import time
from pathlib import Path

from gateway.sim.broker import Broker, free_port
from gateway.sim.gate import Gate
from gateway.sim.harness import (
    DaemonProcess,
    MqttListener,
    link_state,
    process_figure,
    query,
    queue_alerts,
    wait_for,
    write_config,
)

GROWTH_LIMIT_KB = 8 * 1024
PASSES_WAIT = 5.0  # the worker looks at the outbox every second: several passes over it


def measure(alerts: int) -> dict[str, float | bool]:
    with tempfile.TemporaryDirectory() as folder:
        work, port = Path(folder), free_port()
        config = write_config(work, mqtt_port=port)
        db = work / "gateway.db"
        queue_alerts(config, 10)
        with DaemonProcess(config) as daemon:
            wait_for(lambda: link_state(db, "mqtt").get("state") == "down", timeout=30,
                     what="the MQTT link down")
            time.sleep(2)  # start-up settled
            before = process_figure(daemon.pid, "status", "VmRSS")
            queue_alerts(config, alerts - 10)
            time.sleep(PASSES_WAIT)
            after = process_figure(daemon.pid, "status", "VmRSS")
            with Broker() as broker, MqttListener(broker.port, "can/v1/KWJ/alerts") as hq, \
                    Gate(port, broker.port):
                opened = time.monotonic()
                wait_for(lambda: len({p["id"] for p in hq.json_on("/alerts")}) >= alerts,
                         timeout=600, interval=0.5, what=f"all {alerts} alerts at headquarters")
                drained = time.monotonic() - opened
                daemon.stop()
                arrived = list(dict.fromkeys(p["ref"] for p in hq.json_on("/alerts")))
        expected = [ref for ref, in query(
            db, "SELECT a.ref FROM outbox o JOIN alerts a ON a.id = o.alert_id"
                " WHERE o.destination = 'mqtt' ORDER BY o.priority, o.id")]
    return {"rss_before_mb": before / 1024, "rss_after_mb": after / 1024,
            "growth_kb": after - before, "drain_s": drained, "in_order": arrived == expected}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--alerts", type=int, default=5000)
    args = parser.parse_args()
    result = measure(args.alerts)
    growth = result["growth_kb"]
    print(f"{args.alerts:,} alerts waiting for a broker that is down (real daemon, real mosquitto)")
    print(f"resident memory before the backlog   {result['rss_before_mb']:8.1f} MB")
    print(f"resident memory with the backlog     {result['rss_after_mb']:8.1f} MB")
    print(f"growth                               {growth:8.0f} kB   target under "
          f"{GROWTH_LIMIT_KB // 1024} MB {'✓' if growth < GROWTH_LIMIT_KB else '✗'}")
    print(f"drained once the broker is back      {result['drain_s']:8.1f} s    "
          f"({args.alerts / result['drain_s']:.0f} alerts/s)")
    print(f"order (most severe, then oldest)     {'kept ✓' if result['in_order'] else 'BROKEN ✗'}")


if __name__ == "__main__":
    main()
