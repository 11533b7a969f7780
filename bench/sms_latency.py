"""SMS latency and throughput through the real daemon, simulated modem and a real mosquitto.

For bursts of 1, 10 and 100 SMS at the modem's baud rate, prints p50/p95/p99 of
  (a) modem notification (+CMTI) -> alert committed,
  (b) -> acknowledgement handed to the modem (end of AT+CMGS),
  (c) -> MQTT PUBACK (outbox row marked delivered),
the throughput, and how much of the serial line's capacity the drain used.

    .venv/bin/python bench/sms_latency.py [--baud 115200] [--singles 30]
"""

from __future__ import annotations

import argparse
import platform
import statistics
import tempfile
import time
from pathlib import Path

from stats import percentile

from gateway.gsm.sms_pdu import fingerprint
from gateway.sim.broker import Broker
from gateway.sim.gsm_modem import SimulatedModem
from gateway.sim.harness import DaemonProcess, query, wait_for, wait_until_gsm_up, write_config


def run_burst(sim: SimulatedModem, db: Path, size: int, first_number: int) -> dict:
    """Inject `size` SMS at once; return per-message latencies and drain figures."""
    events_before = len(sim.events)
    read_before, written_before = sim.port.bytes_read, sim.port.bytes_written
    history_before = len(sim.history)
    sent_before = len(sim.sent)
    for i in range(size):
        sim.inject_sms(f"+2439900{first_number + i:05d}", f"alerte {(i % 9) + 1} Kamango {i}")
    pdus = sim.history[history_before:]
    fingerprints = [fingerprint(p) for p in pdus]
    marks = ",".join("?" * len(fingerprints))
    sql = (f"SELECT m.fingerprint, a.created_at, a.ref, o.done_at FROM messages m"
           f" JOIN alerts a ON a.message_id = m.id"
           f" JOIN outbox o ON o.alert_id = a.id AND o.destination = 'mqtt'"
           f" WHERE m.fingerprint IN ({marks})")
    rows = wait_for(lambda: (r := query(db, sql, fingerprints)) and len(r) == size
                    and all(x[3] for x in r) and r, timeout=120, what=f"{size} alerts delivered")
    wait_for(lambda: len(sim.sent) - sent_before >= size, timeout=120, what="acks")
    notified = [t for t, kind, _ in sim.events[events_before:] if kind == "cmti"]
    by_print = {r[0]: r for r in rows}
    ack_at = {s.text.split()[0]: s.at for s in sim.sent[sent_before:]}
    commit, ack, puback = [], [], []
    for print_id, cmti in zip(fingerprints, notified, strict=True):
        _, created, ref, done = by_print[print_id]
        commit.append(created - cmti)
        ack.append(ack_at[ref] - cmti)
        puback.append(done - cmti)
    drained = max(max(r[1] for r in rows), max(ack_at.values())) - min(notified)
    # AT commands are request then reply, so the line's capacity is both directions in turn
    exchanged = (sim.port.bytes_read - read_before) + (sim.port.bytes_written - written_before)
    return {"commit": commit, "ack": ack, "puback": puback, "drain_s": drained,
            "line_s": sim.port.byte_time(exchanged)}


def measure(baud: int, bursts: dict[int, int]) -> dict[int, tuple[dict, list]]:
    """Per burst size: the merged per-message latencies and each burst's drain figures."""
    with tempfile.TemporaryDirectory() as folder, Broker() as broker, \
            SimulatedModem(baudrate=baud, capacity=255) as sim:
        work = Path(folder)
        config = write_config(work, sim.path, broker.port)
        db = work / "gateway.db"
        with DaemonProcess(config) as daemon:
            wait_until_gsm_up(db, daemon)
            results = {}
            number = 0
            for size, count in bursts.items():
                merged: dict[str, list[float]] = {"commit": [], "ack": [], "puback": []}
                drains = []
                for _ in range(count):
                    burst = run_burst(sim, db, size, number)
                    number += size
                    for key in merged:
                        merged[key] += burst[key]
                    drains.append(burst)
                    time.sleep(0.3)
                results[size] = (merged, drains)
            daemon.stop()
    return results


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--baud", type=int, default=115200)
    parser.add_argument("--singles", type=int, default=30, help="single-SMS samples")
    parser.add_argument("--tens", type=int, default=5, help="bursts of 10")
    parser.add_argument("--hundreds", type=int, default=2, help="bursts of 100")
    args = parser.parse_args()

    print(f"# SMS path latency, {time.strftime('%Y-%m-%d %H:%M')}, {platform.node()}, "
          f"{platform.processor() or platform.machine()}, Python {platform.python_version()}, "
          f"simulated SIM800 at {args.baud} baud, real mosquitto, WAL + synchronous=FULL")
    counts = {1: args.singles, 10: args.tens, 100: args.hundreds}
    results = measure(args.baud, {size: n for size, n in counts.items() if n})
    print()
    print("| burst | samples | stage | p50 ms | p95 ms | p99 ms | max ms |")
    print("|---|---|---|---|---|---|---|")
    names = {"commit": "(a) +CMTI -> committed", "ack": "(b) -> ack to modem",
             "puback": "(c) -> MQTT PUBACK"}
    for size, (merged, _) in results.items():
        for key, label in names.items():
            values = [v * 1000 for v in merged[key]]
            print(f"| {size} | {len(values)} | {label} | {percentile(values, 50):.0f} | "
                  f"{percentile(values, 95):.0f} | {percentile(values, 99):.0f} | "
                  f"{max(values):.0f} |")
    print()
    print("| burst | drain s (to last ack) | msgs/s | line busy s | line use |")
    print("|---|---|---|---|---|")
    for size, (_, drains) in results.items():
        drain = statistics.median(d["drain_s"] for d in drains)
        line = statistics.median(d["line_s"] for d in drains)
        print(f"| {size} | {drain:.2f} | {size / drain:.1f} | {line:.2f} | {line / drain:.0%} |")
    print("\nline use = time all bytes exchanged need on the serial line (10 bits a byte; AT is "
          "command then reply, so the two directions take turns) / wall time from the first +CMTI "
          "to the last acknowledgement handed to the modem.")


if __name__ == "__main__":
    main()
