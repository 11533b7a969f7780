"""systemd supervision: the unit verifies, READY=1 and watchdog pings go over a real notify
socket, and a hung worker stops the pings (and the panel's heartbeat) so systemd restarts us."""

from __future__ import annotations

import shutil
import socket
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest

from gateway.config import load_config
from gateway.daemon import Daemon
from gateway.sd_notify import SystemdNotifier
from gateway.sim.harness import DaemonProcess, wait_for, write_config
from gateway.workers import Worker

UNIT = Path(__file__).resolve().parent.parent / "systemd" / "cangw.service"


class NotifySocket:
    """What systemd listens on: an AF_UNIX datagram socket; collects every datagram."""

    def __init__(self, folder: Path):
        self.path = folder / "notify.sock"
        self.sock = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
        self.sock.bind(str(self.path))
        self.sock.settimeout(0.2)
        self.received: list[tuple[float, str]] = []
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._collect, daemon=True)
        self._thread.start()

    def _collect(self) -> None:
        while not self._stop.is_set():
            try:
                data = self.sock.recv(4096)
            except TimeoutError:
                continue
            self.received += [(time.monotonic(), line) for line in data.decode().splitlines()]

    def times(self, line: str) -> list[float]:
        return [at for at, got in list(self.received) if got == line]

    def close(self) -> None:
        self._stop.set()
        self._thread.join()
        self.sock.close()


@pytest.fixture
def notify_socket(tmp_path):
    listening = NotifySocket(tmp_path)
    yield listening
    listening.close()


def _unit() -> dict[str, list[str]]:
    values: dict[str, list[str]] = {}
    for line in UNIT.read_text().splitlines():
        if "=" in line and not line.startswith("#"):
            key, _, value = line.partition("=")
            values.setdefault(key.strip(), []).append(value.strip())
    return values


def test_the_unit_asks_for_what_an_unattended_base_needs():
    unit = _unit()
    assert unit["Type"] == ["notify"] and unit["Restart"] == ["always"]
    assert unit["ExecStart"] == ["/opt/cangw/bin/cangw -c /etc/cangw/gateway.toml run"]
    assert unit["User"] == ["cangw"] and unit["SupplementaryGroups"] == ["dialout gpio"]
    assert int(unit["WatchdogSec"][0]) > 0
    for key, value in [("ProtectSystem", "strict"), ("ReadWritePaths", "/var/lib/cangw"),
                       ("NoNewPrivileges", "true"), ("PrivateTmp", "true")]:
        assert unit[key] == [value]


@pytest.mark.skipif(shutil.which("systemd-analyze") is None,
                    reason="systemd-analyze is not installed (Debian package systemd; "
                           "scripts/test installs it where apt-get works)")
def test_systemd_analyze_verify_passes(tmp_path):
    def verify(text: str) -> str:
        unit = tmp_path / "cangw.service"
        unit.write_text(text)
        done = subprocess.run(["systemd-analyze", "verify", "--man=no", str(unit)],
                              capture_output=True, text=True, timeout=60)
        return f"rc={done.returncode} {done.stdout}{done.stderr}".strip()

    # ExecStart must name an existing program: this checkout's cangw stands in for /opt/cangw's
    here = str(Path(sys.executable).parent / "cangw")
    assert verify(UNIT.read_text().replace("/opt/cangw/bin/cangw", here)) == "rc=0"
    broken = UNIT.read_text().replace("/opt/cangw/bin/cangw", here).replace(
        "ProtectSystem=strict", "ProtectSystem=stricter")
    assert "protect system value" in verify(broken)  # the check can fail


class Beating(Worker):
    """A worker whose loop beats until told to hang (as a deadlocked thread would)."""

    def __init__(self, *_: object):
        super().__init__("beating")
        self.hang = threading.Event()

    def loop(self) -> None:
        self.up.set()
        while not self.stopping.is_set():
            if not self.hang.is_set():
                self.beat()
            self.stopping.wait(0.05)


class DaemonWith(Daemon):
    supervise_every = 0.2  # five passes a second, so the story below takes seconds

    def __init__(self, config, worker, **kwargs):
        super().__init__(config, **kwargs)
        self.worker = worker
        self.passes = 0

    def _make_workers(self):
        return [self.worker]

    def _supervise(self):
        super()._supervise()
        self.passes += 1


def test_a_hung_worker_stops_the_watchdog_and_the_panel_heartbeat(tmp_path, notify_socket):
    config = load_config(write_config(tmp_path))
    worker = Beating()
    systemd = SystemdNotifier({"NOTIFY_SOCKET": str(notify_socket.path),
                               "WATCHDOG_USEC": "400000"})  # a ping due every 0.2 s
    stuck_after = 0.6
    daemon = DaemonWith(config, worker, stuck_after=stuck_after, systemd=systemd)
    healthy = daemon.notifier.event("healthy")
    runner = threading.Thread(target=daemon.run, daemon=True)
    runner.start()
    try:
        wait_for(lambda: notify_socket.times("READY=1"), timeout=10, what="READY=1")
        wait_for(lambda: len(notify_socket.times("WATCHDOG=1")) >= 3, timeout=10,
                 what="watchdog pings")
        worker.hang.set()
        hung_at = time.monotonic()
        wait_for(lambda: any(line.startswith("STATUS=stuck: beating")
                             for _, line in notify_socket.received), timeout=10,
                 what="the stuck status")
        healthy.clear()
        quiet_since = time.monotonic()
        passes = daemon.passes
        wait_for(lambda: daemon.passes >= passes + 3, timeout=10, what="three supervision passes")
        pings = notify_socket.times("WATCHDOG=1")
        assert not [at for at in pings if at > quiet_since], "pinged while a worker hung"
        assert max(pings) < hung_at + stuck_after + 1.0  # and the datagram's way to the socket
        assert not healthy.is_set()  # the panel's power LED stops blinking too
        worker.hang.clear()
        wait_for(lambda: [at for at in notify_socket.times("WATCHDOG=1") if at > quiet_since],
                 timeout=10, what="pings again once it beats")
    finally:
        daemon.stop()
        runner.join(20)
    assert notify_socket.times("STOPPING=1")


def test_real_daemon_says_ready_once_the_modem_is_up_and_pings_the_watchdog(
        tmp_path, modem, notify_socket):
    config = write_config(tmp_path, modem.path)
    env = {"NOTIFY_SOCKET": str(notify_socket.path), "WATCHDOG_USEC": "1000000"}
    with DaemonProcess(config, env=env) as daemon:
        wait_for(lambda: notify_socket.times("READY=1"), timeout=30, what="READY=1")
        assert "STATUS=running" in [line for _, line in notify_socket.received]
        wait_for(lambda: len(notify_socket.times("WATCHDOG=1")) >= 3, timeout=10,
                 what="watchdog pings every half interval")
        assert daemon.stop() == 0
    assert "gsm" not in daemon.log.split("ready (")[1].split(")")[0]  # nothing was still down


def test_notifier_without_socket_does_nothing():
    assert SystemdNotifier({}).send("READY=1") is False
    assert SystemdNotifier({"WATCHDOG_USEC": "0"}).watchdog_interval is None
