"""The daemon's footprint over a base's life: start-up, idle, volume, growth, a broker outage.

One real daemon (GSM + MQTT) with the simulated modem and a real mosquitto, in stages:
start-up time to READY (sd_notify, else to the GSM link recorded up), CPU and memory idle,
single-SMS latency with few alerts stored, a volume of alerts in a realistic mix (bytes written
to disk per alert from /proc/<pid>/io, memory after), the latency again with that many stored
and with thousands of focal points registered, then the broker stopped while alerts queue.
The simulated line is unpaced during the volume stages so they take minutes, not hours.
"""

from __future__ import annotations

import csv
import os
import socket
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path

from core import realistic_texts
from programs import cpu_seconds, rss_kb, write_bytes

from gateway.sim.broker import Broker
from gateway.sim.gsm_modem import SimulatedModem
from gateway.sim.harness import query, wait_for

HERE = Path(__file__).parent
LONE = 100  # alerts sent one at a time, each delivered before the next


@dataclass
class Footprint:
    ready_s: float = 0.0
    ready_by: str = ""
    idle_cpu_percent: float = 0.0
    rss_idle_mb: float = 0.0
    rss_after_volume_mb: float = 0.0
    rss_before_queue_mb: float = 0.0  # with the focal points registered, broker still up
    rss_queued_mb: float = 0.0
    bytes_per_alert: float = 0.0  # alerts arriving in bursts (committed together)
    bytes_per_lone_alert: float = 0.0  # each alert alone: its own commits and syncs
    latency_few_ms: list[float] = field(default_factory=list)
    latency_many_ms: list[float] = field(default_factory=list)
    latency_focal_ms: list[float] = field(default_factory=list)
    queued: int = 0
    stored: int = 0


def measure(volume: int, queued: int, idle_seconds: float, focal_points: int) -> Footprint:
    result = Footprint()
    with tempfile.TemporaryDirectory(dir=HERE) as folder, Broker() as broker, \
            SimulatedModem(baudrate=0, capacity=255) as sim:
        work = Path(folder)
        config = work / "gateway.toml"
        config.write_text(f'[base]\nid = "KWJ"\nname = "bench"\n[store]\npath = "gateway.db"\n'
                          f'[gsm]\nport = "{sim.path}"\n[mqtt]\nhost = "127.0.0.1"\n'
                          f'port = {broker.port}\n')
        db = work / "gateway.db"
        daemon = _start(config, work, result)
        try:
            time.sleep(2)  # let start-up work settle before measuring idle
            cpu, started = cpu_seconds(daemon.pid), time.monotonic()
            time.sleep(idle_seconds)
            result.idle_cpu_percent = (cpu_seconds(daemon.pid) - cpu) / \
                (time.monotonic() - started) * 100
            result.rss_idle_mb = rss_kb(daemon.pid) / 1024
            _feed(sim, db, realistic_texts(100), "few")
            result.latency_few_ms = _latencies(sim, db, 10, "few")
            written = write_bytes(daemon.pid)
            _feed(sim, db, realistic_texts(LONE), "lone", batch=1)
            wait_for(lambda: _pending(db, "mqtt") == 0 and _pending(db, "sms") == 0, 60,
                     what="lone alerts delivered and acknowledged")
            result.bytes_per_lone_alert = (write_bytes(daemon.pid) - written) / LONE
            written = write_bytes(daemon.pid)
            _feed(sim, db, realistic_texts(volume), "volume")
            wait_for(lambda: _pending(db, "mqtt") == 0, 300, what="volume delivered")
            result.bytes_per_alert = (write_bytes(daemon.pid) - written) / volume
            result.rss_after_volume_mb = rss_kb(daemon.pid) / 1024
            result.latency_many_ms = _latencies(sim, db, 10, "many")
            _register(config, work, focal_points)
            result.latency_focal_ms = _latencies(sim, db, 10, "focal")
            result.rss_before_queue_mb = rss_kb(daemon.pid) / 1024
            broker.stop()  # headquarters unreachable: alerts queue on disk
            _feed(sim, db, realistic_texts(queued), "queued")
            result.queued = _pending(db, "mqtt")
            result.rss_queued_mb = rss_kb(daemon.pid) / 1024
            result.stored = query(db, "SELECT COUNT(*) FROM alerts")[0][0]
        finally:
            daemon.terminate()
            daemon.wait(30)
    return result


def _start(config: Path, work: Path, result: Footprint) -> subprocess.Popen:
    """Start the daemon with a notify socket; time to READY=1 (or to the GSM link up)."""
    notify = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
    notify.bind(str(work / "notify"))
    notify.settimeout(0.05)
    started = time.monotonic()
    daemon = subprocess.Popen([sys.executable, "-m", "gateway", "-c", str(config), "run"],
                              env=os.environ | {"NOTIFY_SOCKET": str(work / "notify")},
                              stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    db = work / "gateway.db"
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        try:
            if b"READY=1" in notify.recv(4096):
                result.ready_s, result.ready_by = time.monotonic() - started, "READY=1"
                break
        except TimeoutError:
            pass
        if query(db, "SELECT 1 FROM link_status WHERE link = 'gsm' AND state = 'up'") and \
                not result.ready_by:
            result.ready_s, result.ready_by = time.monotonic() - started, "GSM link up"
            # keep listening briefly: a daemon that notifies does so at about the same time
            deadline = min(deadline, time.monotonic() + 1)
    notify.close()
    return daemon


def _feed(sim: SimulatedModem, db: Path, texts: list[str], tag: str, batch: int = 200) -> None:
    """Inject messages in SIM-sized batches, each drained (stored) before the next."""
    before = query(db, "SELECT COUNT(*) FROM messages")[0][0]
    for start in range(0, len(texts), batch):
        for n, text in enumerate(texts[start:start + batch], start):
            sim.inject_sms(f"+2439903{n % 5000:05d}", f"{text} {tag}")
        wait_for(lambda: not sim.stored, 120, what="the SIM drained")
        if batch == 1:  # one at a time: let its acknowledgement and delivery finish too
            wait_for(lambda: _pending(db, "mqtt") + _pending(db, "sms") == 0, 30,
                     what="the alert delivered")
    wait_for(lambda: query(db, "SELECT COUNT(*) FROM messages")[0][0] >= before + len(texts),
             120, what="messages stored")


def _latencies(sim: SimulatedModem, db: Path, samples: int, tag: str) -> list[float]:
    values = []
    for n in range(samples):
        events = len(sim.events)
        last = query(db, "SELECT COALESCE(MAX(id), 0) FROM alerts")[0][0]
        sim.inject_sms("+243990000101", f"alerte 2 Kamango {tag} {n}")
        notified = wait_for(lambda e=events: [t for t, k, _ in sim.events[e:] if k == "cmti"],
                            what="+CMTI")[0]
        created = wait_for(lambda m=last: query(
            db, "SELECT created_at FROM alerts WHERE id > ? ORDER BY id LIMIT 1", [m]),
            what="alert")[0][0]
        values.append((created - notified) * 1000)
        time.sleep(0.2)
    return values


def _register(config: Path, work: Path, count: int) -> None:
    """Register `count` focal points with the CLI, as a technician would."""
    path = work / "focal.csv"
    with open(path, "w", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(["phone", "name", "language"])
        for n in range(count):
            writer.writerow([f"+2439904{n:05d}", f"Focal Point Number{n} Mukanirwa{n}", "fr"])
    subprocess.run([sys.executable, "-m", "gateway", "-c", str(config), "focal", "import",
                    str(path)], check=True, capture_output=True)


def _pending(db: Path, destination: str) -> int:
    return query(db, "SELECT COUNT(*) FROM outbox WHERE destination = ? AND state = 'pending'",
                 [destination])[0][0]
