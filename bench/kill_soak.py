"""Crash safety soak: the real daemon SIGKILLed hundreds of times while SMS pour in.

Each run: a fresh store, simulated modem and mosquitto; `--rounds` rounds of (hand a burst to
the modem's network, start `cangw run`, SIGKILL it after a random delay); then a clean run
drains everything and gateway/sim/kill_rounds.verify checks every SMS, alert, acknowledgement
and MQTT delivery. The network delivers with no spacing, into the lowest free slot, and the
bursts land on sweeps and on a SIM being emptied (see kill_rounds.run_rounds); runs alternate
between a modem that says nothing when its SIM is full (a SIM800) and one that says
+CMS ERROR: 322. Prints SMS, lost, duplicated, deleted from the SIM unread, resends after an
unknown outcome, and where the kills landed.

    .venv/bin/python bench/kill_soak.py [--runs 4] [--rounds 50] [--burst 24] [--capacity 8]
        [--baud 115200] [--broadcast 200]

With `--broadcast N`, each run first queues a broadcast to N focal points (the simulated network
takes 50 ms a message): kills then also land while it is being sent, and every recipient must
get it once (twice only after a kill hid a send's outcome).
"""

from __future__ import annotations

import argparse
import tempfile
import time
from collections import Counter
from pathlib import Path

from gateway.sim.broker import Broker
from gateway.sim.gsm_modem import SimulatedModem
from gateway.sim.harness import MqttListener
from gateway.sim.kill_rounds import report_json, run_rounds

FULL_NOTICES = (None, "+CMS ERROR: 322")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=4)
    parser.add_argument("--rounds", type=int, default=50)
    parser.add_argument("--burst", type=int, default=24)
    parser.add_argument("--capacity", type=int, default=8, help="SIM slots (a few times fewer "
                                                                 "than a burst keeps it full)")
    parser.add_argument("--baud", type=int, default=115200, help="simulated line (0: unpaced)")
    parser.add_argument("--broadcast", type=int, default=0, help="recipients of a broadcast")
    args = parser.parse_args()
    totals: Counter[str] = Counter()
    phases: Counter[str] = Counter()
    started = time.monotonic()
    print(f"{args.runs} runs x {args.rounds} rounds, bursts of {args.burst}, a SIM of "
          f"{args.capacity} slots, line {args.baud or 'unpaced'} baud", flush=True)
    for run in range(args.runs):
        notice = FULL_NOTICES[run % len(FULL_NOTICES)]
        with tempfile.TemporaryDirectory() as folder, Broker() as broker, \
                SimulatedModem(args.baud, capacity=args.capacity,
                               send_delay=0.05 if args.broadcast else 0.0) as modem, \
                MqttListener(broker.port) as hq:
            modem.full_notice(notice)
            report = run_rounds(Path(folder), modem, broker.port, hq, args.rounds, args.burst,
                                seed=run + 1, broadcast=args.broadcast)
        print(f"run {run + 1} (full SIM said: {notice or 'nothing'}), "
              f"{time.monotonic() - started:.0f} s: {report_json(report)}", flush=True)
        totals.update(rounds=report.rounds, kills=report.kills, sms=len(report.injected),
                      lost=report.lost, duplicated=report.duplicated,
                      deleted_unread=report.deleted_unread, problems=len(report.problems),
                      resent_after_unknown_outcome=report.unknown_outcome_resends)
        phases.update(report.phases)
    print(f"\n{args.runs} runs in {time.monotonic() - started:.0f} s: {totals['rounds']} rounds, "
          f"{totals['kills']} SIGKILLs, {totals['sms']} SMS, {totals['lost']} lost, "
          f"{totals['duplicated']} duplicated, {totals['deleted_unread']} deleted from the SIM "
          f"unread, {totals['problems']} problems in all; "
          f"{totals['resent_after_unknown_outcome']} message(s) resent after a kill left "
          "the first send's outcome unknown")
    print("kills landed while: " + ", ".join(f"{k} {v}" for k, v in phases.most_common()))


if __name__ == "__main__":
    main()
