"""The demo: the real daemon against a simulated modem, a local mosquitto, scripted focal points.

Shows each message arriving, the alert it became, the acknowledgement sent back and the MQTT
delivery, with timings. The duty console runs beside the daemon (its address and a login are
printed first) and both keep running until Ctrl-C, so the messages can be watched arriving in
the browser; `--pace 0` plays the script at once and exits (for scripts). The store is left
for `cangw` to inspect. Run with `scripts/demo` (or `python -m gateway.sim.demo`).
"""

from __future__ import annotations

import argparse
import secrets
import shutil
import subprocess
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass
from importlib import resources
from pathlib import Path
from typing import TypeVar

from gateway.sim.broker import Broker, find_mosquitto, free_port
from gateway.sim.console_run import ConsoleProcess
from gateway.sim.gsm_modem import SimulatedModem
from gateway.sim.harness import DaemonProcess, MqttListener, query, wait_for, wait_until_gsm_up

T = TypeVar("T")

WAIT = 15.0


@dataclass(frozen=True)
class Scripted:
    sender: str
    text: str
    note: str


SCRIPT = [
    Scripted("+243990000101", "alerte 2 kamango 15 hommes armés", "registered, French"),
    Scripted("+243990000102", "HATARI 3 watoto wawili wametekwa", "registered, Swahili"),
    Scripted("+243990000103", "A*1*204#", "registered, English keypad code"),
    Scripted("+243997770001", "armed men near Nobili school", "unknown sender, English words"),
    Scripted("+243990000104", "Bonjour, on entend des bruits bizarres vers la rivière cette nuit",
             "free text: unparsed report"),
    Scripted("+243990000101",
             "ALERTE 4 Kamango : des maisons ont été brûlées près du marché, les familles "
             "fuient vers Lubero. Ça continue, même l'école est touchée, ils prennent les "
             "chèvres et le maïs. Envoyez des soldats rapidement s'il vous plaît.",
             "multi-part with accents (UCS-2)"),
    Scripted("+243990000102", "kodi 9 Mutwanga salama", "Swahili daily check-in"),
]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--workdir", type=Path, default=Path("demo-run"),
                        help="where the config, store and logs go (default: demo-run)")
    parser.add_argument("--pace", type=float, default=2.0,
                        help="seconds between scripted messages (default: 2); 0: no console, "
                        "play at once and exit")
    args = parser.parse_args(argv)
    work = args.workdir.resolve()
    shutil.rmtree(work, ignore_errors=True)
    work.mkdir(parents=True)

    broker = _start_broker()
    with SimulatedModem(link=work / "modem") as sim:
        config = _write_config(work, sim.path, broker.port if broker else None)
        _cangw(config, "village", "import", _sample("villages.csv"))
        _cangw(config, "focal", "import", _sample("focal_points.csv"))
        daemon = DaemonProcess(config)
        print(f"\n== Starting the daemon: cangw -c {config} run   (log: {daemon.log_path})")
        daemon.start()
        watcher = MqttListener(broker.port, "can/v1/KWJ/alerts", "cangw-demo-hq") if broker else None
        console = _start_console(config) if args.pace > 0 else None
        try:
            ok = _wait_ready(work / "gateway.db", daemon)
            if console is not None and ok:
                time.sleep(args.pace * 2)  # time to open the page before the first message
            for index, item in enumerate(SCRIPT, 1):
                if not ok:
                    break
                ok = _play(index, item, sim, work / "gateway.db", watcher)
                time.sleep(args.pace)
            if console is not None and ok:
                _keep_running(console)
        finally:
            if console is not None:
                console.stop()
            code = daemon.stop()
            print(f"\n== Daemon stopped (exit {code}) after SIGTERM")
            if watcher:
                watcher.close()
            if broker:
                broker.close()
    _summary(config, broker is not None)
    return 0 if ok and code == 0 else 1


def _start_console(config: Path) -> ConsoleProcess:
    """The console on 127.0.0.1 with a fresh admin login for this run."""
    password = secrets.token_urlsafe(9)
    _cangw(config, "user", "add", "demo", "--role", "admin", "--language", "en",
           "--password", password)
    port = 8080 if _port_free(8080) else free_port()
    with open(config, "a") as handle:
        handle.write(f"\n[console]\nport = {port}\n")
    console = ConsoleProcess(config, f"http://127.0.0.1:{port}").start()
    print(f"\n== The duty console: {console.url}/   log in as demo / {password}"
          f"   (log: {console.log_path})\n   Open it now: the messages appear there as they "
          "arrive.")
    return console


def _port_free(port: int) -> bool:
    import socket

    with socket.socket() as sock:
        try:
            sock.bind(("127.0.0.1", port))
        except OSError:
            return False
    return True


def _keep_running(console: ConsoleProcess) -> None:
    print(f"\n== All messages played. The daemon and the console keep running: {console.url}/\n"
          "   Press Ctrl-C to stop both.")
    try:
        while console.process is not None and console.process.poll() is None:
            time.sleep(0.5)
    except KeyboardInterrupt:
        print()


def _start_broker() -> Broker | None:
    if find_mosquitto() is None:
        print("!! MQTT is OFF: mosquitto is not installed, so nothing is forwarded to headquarters.\n"
              "   Turn it on with: sudo apt-get install mosquitto   (then run scripts/demo again)")
        return None
    broker = Broker().start()
    print(f"== Local mosquitto broker on 127.0.0.1:{broker.port}")
    return broker


def _write_config(work: Path, modem: str, mqtt_port: int | None) -> Path:
    config = work / "gateway.toml"
    text = (
        '[base]\nid = "KWJ"\nname = "COB Kiwanja (demo)"\nlanguage = "fr"\n\n'
        '[store]\npath = "gateway.db"\n\n'
        f'[gsm]\nport = "{modem}"\nbaudrate = 115200\n'
    )
    if mqtt_port is not None:
        text += f'\n[mqtt]\nhost = "127.0.0.1"\nport = {mqtt_port}\n'
    config.write_text(text)
    print(f"== Simulated SIM800 modem on {modem}; config written to {config}")
    return config


def _sample(name: str) -> str:
    return str(resources.files("gateway.sim").joinpath("demo_data", name))


def _cangw(config: Path, *args: str) -> None:
    command = [sys.executable, "-m", "gateway", "-c", str(config), *args]
    print(f"$ cangw {' '.join(args[:2])} {Path(args[2]).name}"
          + (" ..." if len(args) > 3 else ""))
    result = subprocess.run(command, capture_output=True, text=True)
    for line in (result.stdout + result.stderr).strip().splitlines():
        print(f"  {line}")


def _wait_ready(db_path: Path, daemon: DaemonProcess) -> bool:
    try:
        wait_until_gsm_up(db_path, daemon, WAIT)
    except AssertionError as exc:
        print(f"!! {exc}")
        return False
    print("== GSM link up; focal points start sending\n")
    return True


def _play(index: int, item: Scripted, sim: SimulatedModem, db_path: Path,
          watcher: MqttListener | None) -> bool:
    masked = item.sender[:7] + "****" + item.sender[-2:]
    preview = item.text if len(item.text) <= 70 else item.text[:67] + "..."
    print(f"[{index}/{len(SCRIPT)}] {masked} ({item.note}) sends:\n      \"{preview}\"")
    sent_before = len(sim.sent)
    started = time.time()
    parts = len(sim.inject_sms(item.sender, item.text))
    if parts > 1:
        print(f"      arrives as {parts} SMS parts")
    alert = _observe(lambda: _alert_after(db_path, started))
    if alert is None:
        print("      !! no alert within 15 s")
        return False
    ref, code, severity, village, count, text, created = alert
    what = f"code {code} ({severity})" if code else "unparsed report, for a person to read"
    where = f" at {village}" if village else ""
    extra = f", count {count}" if count else ""
    print(f"      alert  {ref}: {what}{where}{extra}{_ms(created - started)}")
    if text:
        print(f"             text: {text if len(text) <= 60 else text[:57] + '...'}")
    ack = _observe(lambda: next((s for s in sim.sent[sent_before:] if s.number == item.sender),
                                 None))
    if ack is None:
        print("      !! no acknowledgement within 15 s")
        return False
    print(f"      ack    \"{ack.text}\"{_ms(ack.at - started)}")
    if watcher is None:
        print("      MQTT   off (mosquitto not installed)")
        return True
    at = _observe(lambda: watcher.first_arrival("/alerts", "ref", ref))
    if at is None:
        print("      !! not delivered over MQTT within 15 s")
        return False
    payload = next(p for p in watcher.json_on("/alerts") if p["ref"] == ref)
    print(f"      MQTT   can/v1/KWJ/alerts id={payload['id']} sender={payload['sender']}"
          f"{_ms(at - started)}\n")
    return True


def _alert_after(db_path: Path, started: float) -> tuple | None:
    rows = query(db_path, "SELECT ref, code, severity, village_name, count, unseal(text), created_at"
                           " FROM alerts WHERE created_at >= ? ORDER BY id DESC LIMIT 1", [started])
    return rows[0] if rows else None


def _observe(probe: Callable[[], T | None]) -> T | None:
    """The probe's value once it has one, or None after WAIT seconds."""
    try:
        return wait_for(probe, WAIT, interval=0.01)
    except AssertionError:
        return None


def _ms(seconds: float) -> str:
    return f"   (+{seconds * 1000:.0f} ms)"


def _summary(config: Path, mqtt_on: bool) -> None:
    print(f"\nThe store is kept at {config.parent / 'gateway.db'}. Try:")
    for command in ("alerts list", "alerts show KWJ-0001", "outbox list --state done", "status",
                    "audit list", "console"):
        print(f"  .venv/bin/cangw -c {config} {command}")
    if not mqtt_on:
        print("MQTT was off. Install mosquitto (sudo apt-get install mosquitto) to see deliveries.")


if __name__ == "__main__":
    sys.exit(main())
