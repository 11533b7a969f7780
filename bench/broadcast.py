"""Broadcasts on the shared line, through the real daemon, the simulated modem and mosquitto.

Prints, from one run:
  (a) a 500-recipient broadcast's drain rate against the simulated line's send rate (the
      network's round trip per SMS, `--send-delay`, plus the AT+CMGS exchange's bytes at the
      line's baud rate), the pacing set above it;
  (b) acknowledgement latency (+CMTI -> acknowledgement handed to the modem) p50/p99 for
      alerts arriving while the broadcast is sent, and for the same alerts without it;
  (c) the time from headquarters' MQTT command to the first SMS handed to the modem.

    .venv/bin/python bench/broadcast.py [--recipients 500] [--send-delay 0.2] [--alerts 30]
"""

from __future__ import annotations

import argparse
import platform
import random
import statistics
import tempfile
import time
from pathlib import Path

import paho.mqtt.client as paho
from stats import percentile

from gateway.config import load_config
from gateway.model import Village
from gateway.outreach import compose
from gateway.outreach.hq_wire import BroadcastRequest, HqCommand, sign_mqtt
from gateway.outreach.templates import load_book
from gateway.sim.broker import Broker
from gateway.sim.gsm_modem import SimulatedModem
from gateway.sim.harness import DaemonProcess, query, wait_for, wait_until_gsm_up, write_config
from gateway.store import Store
from gateway.store import registry as reg

KEY = "bench-command-key-0123456789abcdef"
LANGUAGES = ("fr", "sw", "en")


def register(config_path: Path, recipients: int) -> None:
    config = load_config(config_path)
    with Store.open(config.store.path) as store:
        reg.save_village(store, Village(12, "Kamango", zone="north"))
        reg.save_village(store, Village(31, "Nobili", zone="hq"))
        for n in range(recipients):
            reg.save_focal_point(store, reg.make_focal_point(
                store, f"+24399400{n:04d}", f"Member {n}", "12", LANGUAGES[n % 3], "+243"))
        for n in range(3):
            reg.save_focal_point(store, reg.make_focal_point(
                store, f"+24399500{n:04d}", f"Relay {n}", "31", "fr", "+243"))


def ack_latencies(sim: SimulatedModem, injected: dict[str, float]) -> list[float]:
    """Seconds from each alert's arrival to its acknowledgement handed to the modem."""
    acks = {s.number: s.at for s in sim.sent if not s.report and s.number in injected}
    return [acks[number] - at for number, at in injected.items() if number in acks]


def alerts(sim: SimulatedModem, count: int, first: int, spread: float,
           rng: random.Random) -> dict[str, float]:
    """`count` alerts from different phones over `spread` seconds; number -> when it arrived."""
    injected = {}
    for n in range(count):
        time.sleep(rng.uniform(0.5, 1.5) * spread / count)
        number = f"+24398{first + n:07d}"
        injected[number] = time.time()
        sim.inject_sms(number, f"2 Kamango {n}")
    wait_for(lambda: len(ack_latencies(sim, injected)) == count, 60, what="the acknowledgements")
    return injected


def publish(port: int, payload: bytes) -> float:
    client = paho.Client(paho.CallbackAPIVersion.VERSION2, protocol=paho.MQTTv311)
    client.connect("127.0.0.1", port)
    client.loop_start()
    started = time.time()
    client.publish("can/v1/KWJ/commands", payload, qos=1).wait_for_publish(10)
    client.disconnect()  # first: it ends paho's loop at once (loop_stop alone waits 1 s)
    client.loop_stop()
    return started


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--recipients", type=int, default=500)
    parser.add_argument("--send-delay", type=float, default=0.2,
                        help="the simulated network's round trip per SMS (seconds)")
    parser.add_argument("--alerts", type=int, default=30, help="alerts in each phase")
    parser.add_argument("--commands", type=int, default=10, help="MQTT commands timed")
    args = parser.parse_args()
    rng = random.Random(7)
    print(f"# Broadcasts, {time.strftime('%Y-%m-%d %H:%M')}, {platform.node()}, "
          f"{platform.processor() or platform.machine()}, Python {platform.python_version()}, "
          f"simulated SIM800 at 115200 baud, network round trip {args.send_delay * 1000:.0f} ms "
          "per SMS, real mosquitto")
    with tempfile.TemporaryDirectory() as folder, Broker() as broker, \
            SimulatedModem(capacity=255, send_delay=args.send_delay) as sim:
        work = Path(folder)
        (work / "command.key").write_text(KEY)
        config = write_config(work, sim.path, broker.port, mqtt='command_key_file = "command.key"\n',
                              extra="\n[outreach]\nsms_per_minute = 60000\n"
                                    "daily_sms_budget = 100000\n")
        register(config, args.recipients)
        db = work / "gateway.db"
        with DaemonProcess(config) as daemon:
            wait_until_gsm_up(db, daemon)
            quiet = alerts(sim, args.alerts, 0, args.alerts * 0.6, rng)

            before = len(sim.sent)
            read_before, written_before = sim.port.bytes_read, sim.port.bytes_written
            with Store.open(db) as store:
                compose.send(store, load_config(config), compose.draft(
                    load_book(), "zone:north", template=1, params={"place": "Kamango"}),
                    "bench", "cli")
            wait_for(lambda: sum(s.report for s in sim.sent[before:]) >= 20, 60,
                     what="the broadcast under way")
            busy = alerts(sim, args.alerts, 1000, args.recipients * args.send_delay * 0.6, rng)
            wait_for(lambda: sum(s.report for s in sim.sent[before:]) >= args.recipients,
                     args.recipients * args.send_delay * 3 + 60, interval=0.2,
                     what="the whole broadcast")
            broadcast = [s for s in sim.sent[before:] if s.report]
            on_line = [s for s in sim.sent[before:] if broadcast[0].at <= s.at <= broadcast[-1].at]
            exchanged = (sim.port.bytes_read - read_before) + (sim.port.bytes_written
                                                               - written_before)
            acks_meanwhile = len(sim.sent[before:]) - len(broadcast)

            command_times = []
            for n in range(args.commands):
                count = len(sim.sent)
                payload = sign_mqtt(KEY.encode(), "KWJ", HqCommand(
                    1_800_000_000 + n, "broadcast", BroadcastRequest("zone:hq", 6)))
                published = publish(broker.port, payload)
                first = wait_for(lambda c=count: next((s.at for s in sim.sent[c:] if s.report),
                                                      None), 20, what="the command's first SMS")
                wait_for(lambda c=count: len(sim.sent) - c >= 3, 20, what="the command's SMS")
                command_times.append(first - published)
            daemon.stop()
        states = dict(query(db, "SELECT state, COUNT(*) FROM broadcast_recipients"
                                " WHERE broadcast_id = 1 GROUP BY state"))

    span = broadcast[-1].at - broadcast[0].at
    drain = (len(broadcast) - 1) / span
    # the line's own bound: each SMS takes the network's round trip and its exchange's bytes
    serial = sim.port.byte_time(exchanged) / (len(broadcast) + acks_meanwhile)
    bound = 1 / (args.send_delay + serial)
    print()
    print("| figure | value |")
    print("|---|---|")
    print(f"| broadcast | {len(broadcast)} recipients, each once: "
          f"{len({s.number for s in broadcast}) == len(broadcast)}; final states {states} |")
    print(f"| drain rate | {drain:.2f} SMS/s over {span:.1f} s ({acks_meanwhile} "
          f"acknowledgements sent in between) |")
    print(f"| line's send rate | {bound:.2f} SMS/s ({args.send_delay * 1000:.0f} ms round trip + "
          f"{serial * 1000:.1f} ms of serial bytes per SMS); network alone {1 / args.send_delay:.2f} "
          "SMS/s |")
    print(f"| drain / line | **{drain / bound:.1%}** (of the network alone: "
          f"{drain * args.send_delay:.1%}) |")
    print(f"| every SMS on the line meanwhile / line | {(len(on_line) - 1) / span / bound:.1%} "
          f"({len(on_line)} SMS: the broadcast and the acknowledgements that went first) |")
    for name, injected in (("without a broadcast", quiet), ("during the broadcast", busy)):
        values = [v * 1000 for v in ack_latencies(sim, injected)]
        print(f"| ack latency {name} | p50 {percentile(values, 50):.0f} ms, p99 "
              f"{percentile(values, 99):.0f} ms, max {max(values):.0f} ms ({len(values)} alerts) |")
    values = [v * 1000 for v in command_times]
    print(f"| MQTT command -> first SMS handed to the modem | median "
          f"{statistics.median(values):.0f} ms, max {max(values):.0f} ms ({len(values)} commands) |")


if __name__ == "__main__":
    main()
