"""How long the emergency wipe takes on a working base: to "nothing readable", and to its end.

    .venv/bin/python bench/wipe_times.py [--alerts 10000] [--rounds 3]

Each round: a base on the project's disk (not a tmpfs) with `--alerts` alerts, 300 focal
points and a backup; the daemon running with the simulated SIM800 (a few SMS and phonebook
entries left on its SIM) and a real mosquitto. Then `cangw wipe --yes` is started as a
command; the trigger is the moment it is started (Python's start-up included). Measured:
- trigger -> data key destroyed ("nothing readable"), as a watcher polling the key file every
  millisecond sees it, and from the wipe's call inside the command (the moment a person has
  typed the base id);
- trigger -> store, backups and logs erased;
- trigger -> end of the wipe: the daemon has stopped its workers, emptied the SIM, told the
  broker, and exited.
Then the panel: the daemon in this process on mock pins, the button held: from the moment it
has been held `long_press` seconds to the key destroyed, and to the daemon's exit.
"""

from __future__ import annotations

import argparse
import re
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path
from statistics import median

from gpiozero.pins.mock import MockFactory

from gateway.config import load_config
from gateway.daemon import Daemon
from gateway.sim.broker import Broker
from gateway.sim.gsm_modem import SimulatedModem
from gateway.sim.harness import (
    DaemonProcess,
    MqttListener,
    queue_alerts,
    wait_for,
    wait_until_gsm_up,
    write_config,
)
from gateway.store import Store
from gateway.store import registry as reg

HERE = Path(__file__).parent
FOCAL_POINTS = 300


def one_round(alerts: int) -> dict[str, float]:
    with tempfile.TemporaryDirectory(dir=HERE) as folder, SimulatedModem() as modem, \
            Broker() as broker, MqttListener(broker.port) as hq:
        base = Path(folder)
        config = write_config(base, modem.path, broker.port)
        queue_alerts(config, alerts)
        with Store.open(base / "gateway.db") as store:
            for n in range(FOCAL_POINTS):
                reg.save_focal_point(store, reg.make_focal_point(
                    store, f"+2439971{n:05d}", f"Focal point {n}", None, None, "+243"))
        cangw = [sys.executable, "-m", "gateway", "-c", str(config)]
        subprocess.run([*cangw, "db", "backup", str(base / "copy.db")], check=True,
                       capture_output=True)
        for n in range(5):
            modem.state.phonebook[n + 1] = (f"+2439972{n:05d}", f"Contact {n}")
        with DaemonProcess(config) as daemon:
            wait_until_gsm_up(base / "gateway.db", daemon, timeout=120)
            modem.state.notify = False  # arrive unannounced: still on the SIM at the wipe
            for n in range(3):
                modem.inject_sms(f"+2439973{n:05d}", "2 Kamango")
            key = base / "gateway.key"
            gone: list[float] = []
            watcher = threading.Thread(target=_watch, args=(key, gone), daemon=True)
            watcher.start()
            started = time.monotonic()
            wiped = subprocess.run([*cangw, "wipe", "--yes"], capture_output=True, text=True)
            code = daemon.process.wait(120) if daemon.process else None
            ended = time.monotonic() - started
            daemon.stop()
            watcher.join(5)
        if wiped.returncode != 0 or code != 78:
            raise RuntimeError(f"wipe failed ({wiped.returncode}, daemon {code}): "
                               f"{wiped.stdout}{wiped.stderr}")
        wait_for(lambda: hq.json_on("/events"), 10, what="the wiped event")
        inside = [float(ms) for ms in re.findall(r"\((\d+) ms\)", wiped.stdout)]
        return {"command_unreadable_ms": inside[0], "command_erased_ms": inside[1],
                "watched_unreadable_ms": (gone[0] - started) * 1000 if gone else float("nan"),
                "end_s": ended, "sim_left": float(len(modem.stored) + len(modem.state.phonebook))}


def panel_round() -> dict[str, float]:
    with tempfile.TemporaryDirectory(dir=HERE) as folder:
        panel = "\n[panel]\nbutton = 25\nbuzzer = 18\nlong_press = 1\n"
        config = load_config(write_config(Path(folder), extra=panel))
        queue_alerts(config.source, 1000)
        factory = MockFactory()
        daemon = Daemon(config, pin_factory=factory)
        runner = threading.Thread(target=daemon.run)
        runner.start()
        wait_for(lambda: daemon.workers and daemon.workers[0].up.is_set(), 30, what="panel")
        gone: list[float] = []
        watcher = threading.Thread(target=_watch, args=(config.store.data_key, gone))
        watcher.start()
        factory.pin(25).drive_low()
        held = time.monotonic() + config.section("panel").long_press
        runner.join(60)
        ended = time.monotonic()
        watcher.join(5)
    return {"panel_unreadable_ms": (gone[0] - held) * 1000, "panel_end_s": ended - held}


def _watch(key: Path, gone: list[float]) -> None:
    deadline = time.monotonic() + 120
    while key.exists() and time.monotonic() < deadline:
        time.sleep(0.001)
    gone.append(time.monotonic())


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--alerts", type=int, default=10_000)
    parser.add_argument("--rounds", type=int, default=3)
    args = parser.parse_args()
    rounds = [one_round(args.alerts) | panel_round() for _ in range(args.rounds)]
    print(f"wipe of a base with {args.alerts} alerts and {FOCAL_POINTS} focal points, daemon "
          f"running (simulated SIM800, mosquitto); medians of {args.rounds} rounds "
          "(min-max)")
    labels = {
        "watched_unreadable_ms": "trigger -> key destroyed (seen from outside), ms",
        "command_unreadable_ms": "wipe() called -> key destroyed, ms",
        "command_erased_ms": "wipe() called -> files erased, ms",
        "end_s": "trigger -> end of the wipe (SIM, MQTT, daemon exited), s",
        "sim_left": "SMS and phonebook entries left on the SIM",
        "panel_unreadable_ms": "panel: button held long enough -> key destroyed, ms",
        "panel_end_s": "panel: button held long enough -> daemon exited, s",
    }
    for key, label in labels.items():
        values = [r[key] for r in rounds]
        print(f"{label:>58}: {median(values):.1f} ({min(values):.1f}-{max(values):.1f})")


if __name__ == "__main__":
    main()
