"""One sender must not bury the others: 20 focal points' SMS with and without one number
sending 1,000 at the same time, through the real daemon, the simulated modem (paced at its baud
rate, the network holding what the SIM cannot) and a real mosquitto.

Every SMS reaches the network at once (the worst case: the SIM holds 30, the network delivers
the rest in order as slots free). For each of the 20, from its arrival at the network to (a)
its acknowledgement handed to the modem and (b) its MQTT PUBACK; beside it, the serial line's
time for it and the SMS ahead of it (each must be announced, read and deleted over the line:
the measured line time per SMS, times its place in the queue), and what is left once that is
taken away. Prints p50/p99 of the 20 for each, without the flood and with it, in one run.

    .venv/bin/python bench/fairness.py [--flood 1000] [--others 20] [--baud 115200]
                                       [--unthrottled]
"""

from __future__ import annotations

import argparse
import platform
import tempfile
import time
from pathlib import Path

from stats import percentile

from gateway.gsm.sms_pdu import fingerprint
from gateway.model import Village
from gateway.sim.broker import Broker
from gateway.sim.gsm_modem import SimulatedModem
from gateway.sim.harness import DaemonProcess, query, wait_for, wait_until_gsm_up, write_config
from gateway.store import Store
from gateway.store import registry as reg

FLOODER = "+243810000001"


def others(count: int) -> list[str]:
    return [f"+24399000{n:04d}" for n in range(count)]


def register(db: Path, senders: list[str]) -> None:
    with Store.open(db) as store:
        reg.save_village(store, Village(12, "Kamango"))
        reg.save_village(store, Village(31, "Nobili"))
        for n, phone in enumerate(senders):
            reg.save_focal_point(store, reg.make_focal_point(
                store, phone, f"Focal {n}", "31", "fr", "+243"))


def scenario(flood: int, count: int, baud: int, extra: str = "") -> dict[str, list[float]]:
    """Inject the flood with the others spread through it; per other SMS, the figures."""
    senders = others(count)
    with tempfile.TemporaryDirectory() as folder, Broker() as broker, \
            SimulatedModem(baudrate=baud) as sim:
        work = Path(folder)
        config = write_config(work, sim.path, broker.port, extra=extra)
        # the default sweep (the tests' 2 s sweep makes the reading of bursts slower)
        config.write_text(config.read_text().replace("sweep_interval = 2", "sweep_interval = 30"))
        db = work / "gateway.db"
        register(db, senders)
        with DaemonProcess(config) as daemon:
            wait_until_gsm_up(db, daemon)
            read_before, written_before = sim.port.bytes_read, sim.port.bytes_written
            total = flood + count
            # the others' positions in the order of arrival, spread through the flood
            mine = [int((k + 0.5) * total / count) for k in range(count)]
            sent_at = []  # when each SMS reached the network (all at once: the worst case)
            for n in range(total):
                sent_at.append(time.time())
                if n in mine:
                    sim.inject_sms(senders[mine.index(n)], f"1 nobili {mine.index(n)}")
                else:
                    sim.inject_sms(FLOODER, f"2 kamango vague {n}")
            wait_for(lambda: _settled(sim, db, total), 900, what="the flood read")
            fingerprints = [fingerprint(p) for p in sim.history]
            committed = dict(query(db, "SELECT fingerprint, received_at FROM messages"))
            present = [p for p in mine if fingerprints[p] in committed]
            wait_for(lambda: sum(1 for s in sim.sent if s.number in senders) >= len(present),
                     600, what="the others' acknowledgements")
            wait_for(lambda: _delivered(db, [fingerprints[i] for i in present]), 600,
                     what="the others' MQTT deliveries")
            exchanged = (sim.port.bytes_read - read_before) + \
                (sim.port.bytes_written - written_before)
            line_per_message = sim.port.byte_time(exchanged) / len(committed)
            daemon.stop()
        acks = {s.text.split()[0]: s.at for s in sim.sent if s.number in senders}
        figures: dict[str, list[float]] = {"ack": [], "puback": [], "line": [], "ack_beyond": [],
                                           "puback_beyond": []}
        for position in present:
            arrived, printed = sent_at[position], fingerprints[position]
            ref, done = _delivered(db, [printed])[0]
            # the line must carry every SMS the network holds before it, and this one
            line = (position + 1) * line_per_message
            figures["ack"].append(acks[ref] - arrived)
            figures["puback"].append(done - arrived)
            figures["line"].append(line)
            figures["ack_beyond"].append(acks[ref] - arrived - line)
            figures["puback_beyond"].append(done - arrived - line)
        throttled = query(db, "SELECT COUNT(*) FROM incident_alerts WHERE throttled = 1")[0][0]
        flood_acks = sum(1 for s in sim.sent if s.number == FLOODER)
        figures["meta"] = [line_per_message, throttled, flood_acks, total - len(committed)]
        return figures


def _settled(sim: SimulatedModem, db: Path, total: int) -> bool:
    """Every SMS stored, or the SIM and the network's queue empty and nothing new for 5 s (an
    SMS the modem lost is counted, not waited for)."""
    stored = len(query(db, "SELECT id FROM messages"))
    if stored >= total:
        return True
    announced = [t for t, kind, _ in sim.events if kind == "cmti"]
    return not sim.stored and not sim.state.waiting_at_network and \
        time.time() - max(announced, default=0) > 5


def _delivered(db: Path, prints: list[str]) -> list[tuple[str, float]] | None:
    marks = ", ".join("?" * len(prints))
    rows = query(db, "SELECT a.ref, o.done_at FROM messages m JOIN alerts a ON a.message_id ="
                     " m.id JOIN outbox o ON o.alert_id = a.id AND o.destination = 'mqtt'"
                     f" AND o.body IS NULL WHERE m.fingerprint IN ({marks}) ORDER BY m.id",
                 prints)
    return rows if len(rows) == len(prints) and all(done for _, done in rows) else None


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--flood", type=int, default=1000)
    parser.add_argument("--others", type=int, default=20)
    parser.add_argument("--baud", type=int, default=115200)
    parser.add_argument("--unthrottled", action="store_true",
                        help="also the flood with throttling off (what throttling spares them)")
    args = parser.parse_args()
    print(f"# fairness, {time.strftime('%Y-%m-%d %H:%M')}, {platform.node()}, "
          f"{platform.processor() or platform.machine()}, Python {platform.python_version()}, "
          f"simulated SIM800 at {args.baud} baud (30 SMS on the SIM, the network holds the "
          "rest), real mosquitto")
    print()
    print("| scenario | the 20 others: | p50 s | p99 s | max s |")
    print("|---|---|---|---|---|")
    labels = {"ack": "sent -> ack to modem", "puback": "sent -> MQTT PUBACK",
              "line": "line time of it and the SMS ahead", "ack_beyond": "ack beyond that",
              "puback_beyond": "PUBACK beyond that"}
    notes = []
    scenarios = [("alone", 0, ""), (f"with {args.flood} from one number", args.flood, "")]
    if args.unthrottled:
        scenarios.append(("the same, throttling off", args.flood,
                          "\n[triage]\nrate_limit = 1000000\n"))
    for name, flood, extra in scenarios:
        figures = scenario(flood, args.others, args.baud, extra)
        for key, label in labels.items():
            values = figures[key]
            print(f"| {name} | {label} | {percentile(values, 50):.2f} | "
                  f"{percentile(values, 99):.2f} | {max(values):.2f} |")
        per, throttled, acks, lost = figures["meta"]
        notes.append(f"{name}: {per * 1000:.1f} ms of line per SMS; the flooder: {int(throttled)}"
                     f" SMS throttled, {int(acks)} acknowledgement(s); SMS the modem lost before"
                     f" they were read: {int(lost)}")
    print()
    for note in notes:
        print(note)


if __name__ == "__main__":
    main()
