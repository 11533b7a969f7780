"""The two programs compared on the same simulated modem: cangw's daemon and Debian's gammu-smsd.

Each runs as a child process against a `SimulatedModem` and stores inbound SMS in its own
SQLite database (gammu-smsd through its SQL backend on libdbi's sqlite3 driver, Debian's
`libdbd-sqlite3`). A `RowWatcher` polls that database every 2 ms from outside, the same way
for both, and notes when each message's row first becomes visible: "committed".
"""

from __future__ import annotations

import os
import shutil
import signal
import sqlite3
import subprocess
import threading
import time
from pathlib import Path

from gateway.sim.gsm_modem import SimulatedModem
from gateway.sim.harness import DaemonProcess, wait_until_gsm_up
from gateway.store.crypto import Sealer, default_key_file, read_key

GAMMU_SCHEMA = Path("/usr/share/doc/gammu-smsd/examples/sqlite.sql")


class RowWatcher:
    """Polls a table for new rows and remembers when each text was first seen. With `key`
    (cangw's data key file), the query may open sealed texts with `unseal(...)`."""

    def __init__(self, db: Path, sql: str, interval: float = 0.002, key: Path | None = None):
        self.db, self.sql, self.interval, self.key = db, sql, interval, key
        self.seen: dict[str, float] = {}
        self._last_id = 0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)
        self._thread.start()

    def _run(self) -> None:
        conn = None
        while not self._stop.is_set():
            try:
                if conn is None and self.db.exists():
                    conn = sqlite3.connect(f"file:{self.db}?mode=ro", uri=True, timeout=1)
                    if self.key is not None:
                        conn.create_function("unseal", 1, Sealer(read_key(self.key)).unseal)
                if conn is not None:
                    rows = conn.execute(self.sql, [self._last_id]).fetchall()
                    now = time.time()
                    for row_id, text in rows:
                        self._last_id = max(self._last_id, row_id)
                        self.seen.setdefault(text, now)
            except sqlite3.Error:
                conn = None
            self._stop.wait(self.interval)

    def close(self) -> None:
        self._stop.set()
        self._thread.join()


class Gateway:
    """cangw's daemon with its default settings; MQTT only when a broker port is given."""

    name = "cangw"

    def __init__(self, folder: Path, sim: SimulatedModem, mqtt_port: int | None = None):
        self.folder, self.sim = folder, sim
        self.db = folder / "gateway.db"
        self.config = folder / "gateway.toml"
        text = (f'[base]\nid = "KWJ"\nname = "bench"\n[store]\npath = "gateway.db"\n'
                f'[gsm]\nport = "{sim.path}"\n')
        if mqtt_port is not None:
            text += f'[mqtt]\nhost = "127.0.0.1"\nport = {mqtt_port}\n'
        self.config.write_text(text)
        self.daemon = DaemonProcess(self.config)

    def start(self) -> None:
        self.daemon.start()
        wait_until_gsm_up(self.db, self.daemon, 30)

    @property
    def pid(self) -> int:
        return self.daemon.process.pid

    def watcher(self) -> RowWatcher:
        return RowWatcher(self.db, "SELECT id, unseal(text) FROM messages WHERE id > ?"
                          " ORDER BY id", key=default_key_file(self.db))

    def stop(self) -> None:
        self.daemon.stop()


class GammuSmsd:
    """gammu-smsd with its SQL backend on SQLite; `receive_frequency` None keeps its default."""

    def __init__(self, folder: Path, sim: SimulatedModem, receive_frequency: int | None = None):
        self.folder, self.sim = folder, sim
        self.name = "gammu-smsd" + (f" (ReceiveFrequency={receive_frequency})"
                                    if receive_frequency is not None else " (defaults)")
        self.db = folder / "smsd.db"
        if not self.db.exists():
            with sqlite3.connect(self.db) as conn:
                conn.executescript(GAMMU_SCHEMA.read_text())
        lines = ["[gammu]", f"device = {sim.path}", "connection = at115200", "", "[smsd]",
                 "service = sql", "driver = sqlite3", f"database = {self.db.name}",
                 f"dbdir = {folder}", f"logfile = {folder / 'smsd.log'}", "debuglevel = 0"]
        if receive_frequency is not None:
            lines.append(f"ReceiveFrequency = {receive_frequency}")
        self.config = folder / "smsdrc"
        self.config.write_text("\n".join(lines) + "\n")
        self.process: subprocess.Popen | None = None

    @staticmethod
    def available() -> bool:
        return shutil.which("gammu-smsd") is not None and GAMMU_SCHEMA.exists()

    def start(self) -> None:
        self.process = subprocess.Popen(["gammu-smsd", "-c", str(self.config)],
                                        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:  # ready once it has written its phone record
            with sqlite3.connect(self.db, timeout=5) as conn:
                if conn.execute("SELECT COUNT(*) FROM phones").fetchone()[0]:
                    return
            time.sleep(0.1)
        raise TimeoutError("gammu-smsd did not start talking to the modem")

    @property
    def pid(self) -> int:
        return self.process.pid

    def watcher(self) -> RowWatcher:
        return RowWatcher(self.db, "SELECT ID, TextDecoded FROM inbox WHERE ID > ? ORDER BY ID")

    def stop(self) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            try:
                self.process.wait(20)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()


def write_bytes(pid: int) -> int:
    """Bytes the process caused to be written to storage so far (/proc/<pid>/io)."""
    for line in Path(f"/proc/{pid}/io").read_text().splitlines():
        if line.startswith("write_bytes:"):
            return int(line.split()[1])
    return 0


def rss_kb(pid: int) -> int:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1])
    return 0


def cpu_seconds(pid: int) -> float:
    """User + system CPU time the process has used (/proc/<pid>/stat)."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")
