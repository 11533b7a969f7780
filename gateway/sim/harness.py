"""Driving the real daemon from outside: for the demo, the tests and the benchmarks.

A daemon in a child process with its log captured, the GSM worker alone in this process (for
fault tests that need to reach inside it), a config file for a simulated base, an MQTT listener
on a real broker, read-only queries of the store, and polling with a deadline.
"""

from __future__ import annotations

import json
import os
import signal
import sqlite3
import subprocess
import sys
import threading
import time
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, TypeVar

import paho.mqtt.client as paho
from gpiozero.pins import Factory

if TYPE_CHECKING:
    from gateway.gsm.service import GsmService

T = TypeVar("T")


def wait_for(probe: Callable[[], T | None], timeout: float = 30.0, interval: float = 0.02,
             what: str = "condition") -> T:
    """Poll until `probe` returns something other than None/False; fail the test on timeout
    (generous: waiting costs only what the event takes, and a busy machine is slow)."""
    deadline = time.monotonic() + timeout
    while True:
        value = probe()
        if value:
            return value
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out after {timeout} s waiting for {what}")
        time.sleep(interval)


def write_config(folder: Path, modem: str | None = None, mqtt_port: int | None = None,
                 extra: str = "", base_language: str = "fr", gsm: str = "",
                 mqtt: str = "", base_id: str = "KWJ") -> Path:
    """A test base's config; `gsm` and `mqtt` are extra lines for those sections. Its broker
    is retried every second, so a broker that comes back is found at once."""
    text = (f'[base]\nid = "{base_id}"\nname = "Test base"\nlanguage = "{base_language}"\n\n'
            f'[store]\npath = "gateway.db"\n')
    if modem:
        text += f'\n[gsm]\nport = "{modem}"\nsweep_interval = 2\n{gsm}'
    if mqtt_port:
        text += (f'\n[mqtt]\nhost = "127.0.0.1"\nport = {mqtt_port}\nstatus_interval = 5\n'
                 f'reconnect_max = 1\n{mqtt}')
    path = folder / "gateway.toml"
    path.write_text(text + extra)
    return path


class DaemonProcess:
    """`cangw run` in a child process, with its log captured to a file."""

    command: tuple[str, ...] = ("run",)  # the cangw command this process runs
    log_name = "daemon.log"

    def __init__(self, config: Path, env: dict[str, str] | None = None,
                 python_args: list[str] | None = None):
        self.config = config
        self.env = env  # extra environment (NOTIFY_SOCKET, WATCHDOG_USEC)
        self.python_args = python_args or ["-m", "gateway"]  # or a stepped clock's
        self.log_path = config.parent / self.log_name
        self.process: subprocess.Popen | None = None

    def start(self) -> DaemonProcess:
        self._log = open(self.log_path, "a")  # noqa: SIM115 - closed in stop()
        self.process = subprocess.Popen(
            [sys.executable, *self.python_args, "-c", str(self.config), *self.command],
            stdout=self._log, stderr=subprocess.STDOUT,
            env={**os.environ, **self.env} if self.env else None)
        return self

    @property
    def pid(self) -> int:
        assert self.process is not None
        return self.process.pid

    def stop(self, sig: int = signal.SIGTERM, timeout: float = 20) -> int:
        assert self.process is not None
        if self.process.poll() is None:
            self.process.send_signal(sig)
        try:
            code = self.process.wait(timeout)
        except subprocess.TimeoutExpired:
            self.process.kill()
            code = self.process.wait()
        self._log.close()
        return code

    def kill(self) -> None:
        self.stop(signal.SIGKILL)

    @property
    def log(self) -> str:
        return self.log_path.read_text() if self.log_path.exists() else ""

    def __enter__(self) -> DaemonProcess:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        if self.process is not None and self.process.poll() is None:
            self.stop()


class MqttListener:
    """Collects every message on a topic filter (QoS 1), from a real broker; subscribed by the
    time it is made."""

    def __init__(self, port: int, topic: str = "can/v1/#", client_id: str = "",
                 login: tuple[str, str] | None = None):
        self.messages: list[tuple[str, bytes, bool]] = []
        self._timed: list[tuple[str, bytes, bool, float]] = []
        self._lock = threading.Lock()
        self._flush_topic = f"cangw-listener/{uuid.uuid4().hex}"  # its own: nobody else's
        self._flushed = threading.Event()
        self.client = paho.Client(paho.CallbackAPIVersion.VERSION2, client_id=client_id)
        if login is not None:
            self.client.username_pw_set(*login)
        self.client.on_message = self._on_message
        subscribed = threading.Event()
        self.client.on_subscribe = lambda *_: subscribed.set()
        self.client.connect("127.0.0.1", port)
        self.client.subscribe([(topic, 1), (self._flush_topic, 1)])
        self.client.loop_start()
        if not subscribed.wait(10):
            self.close()
            raise TimeoutError(f"no SUBACK for {topic} from the broker on port {port}")

    def _on_message(self, client: paho.Client, userdata: object,
                    message: paho.MQTTMessage) -> None:
        if message.topic == self._flush_topic:
            self._flushed.set()
            return
        with self._lock:
            entry = (message.topic, bytes(message.payload), bool(message.retain))
            self.messages.append(entry)
            self._timed.append((*entry, time.time()))

    def json_on(self, suffix: str) -> list[dict]:
        with self._lock:
            return [json.loads(p) for t, p, _ in self.messages if t.endswith(suffix)]

    def first_arrival(self, suffix: str, key: str, value: object) -> float | None:
        """When the first message on `suffix` whose JSON `key` equals `value` arrived."""
        with self._lock:
            for topic, payload, _, at in self._timed:
                if topic.endswith(suffix) and json.loads(payload).get(key) == value:
                    return at
        return None

    def arrivals(self, suffix: str) -> list[float]:
        """When each message on `suffix` arrived (time.time())."""
        with self._lock:
            return [at for topic, _, _, at in self._timed if topic.endswith(suffix)]

    def flush(self, timeout: float = 1.0) -> bool:
        """Wait until what the broker took before now has reached this listener: a message of
        its own, on its own topic, comes back behind it (the broker sends each subscriber its
        messages in the order it took them). False if it did not come back in time (the
        listener lost its connection, or the broker is gone)."""
        if not self.client.is_connected():
            return False
        self._flushed.clear()
        self.client.publish(self._flush_topic, b"", qos=1)
        return self._flushed.wait(timeout)

    def close(self) -> None:
        """Stop listening once what the broker already took has arrived (a test may read it
        after the block, such as a daemon's last status, acknowledged just before it exited)."""
        self.flush()
        # DISCONNECT first: it ends paho's network loop at once, where loop_stop() alone waits
        # out the loop's 1 s select
        self.client.disconnect()
        self.client.loop_stop()

    def __enter__(self) -> MqttListener:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


def query(db_path: Path, sql: str, params: list | None = None) -> list[tuple]:
    """Read the daemon's store from outside (read-only), as the CLI does. `unseal(column)`
    opens a sealed value with the store's data key."""
    if not db_path.exists():
        return []
    try:
        conn = sqlite3.connect(f"file:{db_path}?mode=ro", uri=True, timeout=10)
    except sqlite3.Error:
        return []
    try:
        conn.create_function("unseal", 1, _opener(conn, db_path))
        return conn.execute(sql, params or []).fetchall()
    except sqlite3.Error:
        return []
    finally:
        conn.close()  # now: the function refers back to the connection, a cycle GC is slow to free


def _opener(conn: sqlite3.Connection, db_path: Path) -> Callable[[object], str | None]:
    """The `unseal` SQL function of `query`, under the key the store was last opened with
    (looked up at its first use: a store being created has no key yet)."""
    from gateway.store.crypto import Sealer, default_key_file, read_key

    sealers: list[Sealer] = []

    def unseal(value: object) -> str | None:
        if not sealers:
            row = conn.execute("SELECT value FROM meta WHERE key = 'key_file'").fetchone()
            sealers.append(Sealer(read_key(Path(row[0]) if row else default_key_file(db_path))))
        return sealers[0].unseal(value if isinstance(value, bytes | str) else None)

    return unseal


def wait_until_gsm_up(db_path: Path, daemon: DaemonProcess, timeout: float = 30.0) -> None:
    def up() -> object:
        if daemon.process is not None and daemon.process.poll() is not None:
            raise AssertionError(f"the daemon exited:\n{daemon.log[-2000:]}")
        return query(db_path, "SELECT 1 FROM link_status WHERE link = 'gsm' AND state = 'up'")

    wait_for(up, timeout, what="the GSM link to come up")


@contextmanager
def gsm_worker(folder: Path, port: str, gsm: str = "", pin_factory: Factory | None = None
               ) -> Iterator[GsmService]:
    """The daemon's GSM worker in this process, on a fresh store in `folder`."""
    from gateway.alerts.codes import load_codebook
    from gateway.config import load_config
    from gateway.gsm.service import GsmService
    from gateway.store import Store
    from gateway.workers import Notifier

    config = load_config(write_config(folder, port, gsm=gsm))
    Store.open(config.store.path).close()
    worker = GsmService(config, load_codebook(), Notifier(), pin_factory)
    worker.start()
    try:
        yield worker
    finally:
        worker.stop()
        worker.join(30)


def link_state(db_path: Path, link: str) -> dict:
    """A link's row in the store: its state and details ({} before it reported)."""
    rows = query(db_path, "SELECT state, detail FROM link_status WHERE link = ?", [link])
    return {"state": rows[0][0], **json.loads(rows[0][1])} if rows else {}


SAMPLE_TEXTS = ("2 Kamango", "8 Kamango", "hello?", "1 Nobili", "9", "7 Mutwanga", "3 Kasindi")


def queue_alerts(config_path: Path, count: int) -> None:
    """Commit `count` alerts of mixed severities as the pipeline does (outbox rows included),
    from this process: a backlog without waiting for the modem."""
    from gateway.alerts.codes import load_codebook
    from gateway.alerts.pipeline import Pipeline
    from gateway.config import load_config
    from gateway.store import Store
    from gateway.store.inbox import NewMessage

    config = load_config(config_path)
    with Store.open(config.store.path) as store:
        pipeline = Pipeline(store, config, load_codebook())
        for start in range(0, count, 500):
            with store.transaction():
                for n in range(start, min(count, start + 500)):
                    text = f"{SAMPLE_TEXTS[n % len(SAMPLE_TEXTS)]} {n}"
                    pipeline.record_message(NewMessage("sms", f"+24399{n:07d}", text, time.time()))


def process_figure(pid: int, path: str, field: str) -> int:
    """One number from /proc/<pid>/<path> (`status` VmRSS in kB, `io` write_bytes...)."""
    for line in Path(f"/proc/{pid}/{path}").read_text().splitlines():
        if line.startswith(field + ":"):
            return int(line.split()[1])
    raise KeyError(field)
