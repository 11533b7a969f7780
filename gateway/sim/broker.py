"""A real mosquitto broker on a free local port, for the demo, the tests and the benchmarks."""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import tempfile
import time
from pathlib import Path

SEARCH = ("/usr/sbin/mosquitto", "/usr/bin/mosquitto", "/usr/local/sbin/mosquitto")


def find_mosquitto() -> str | None:
    found = shutil.which("mosquitto")
    return found or next((p for p in SEARCH if Path(p).exists()), None)


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


class Broker:
    """`with Broker() as broker:` runs mosquitto on 127.0.0.1:broker.port until the block ends.

    Its log (`broker.log`) shows each connection attempt, so a test can wait for a client's
    retries instead of sleeping."""

    def __init__(self, port: int | None = None, password_file: Path | None = None,
                 tls: tuple[Path, Path] | None = None):
        """`tls`: (certificate, key) files for a TLS listener."""
        self.port = port or free_port()
        self.password_file = password_file
        self.tls = tls
        self.process: subprocess.Popen | None = None
        self._folder = tempfile.TemporaryDirectory(prefix="cangw-broker-")

    def start(self) -> Broker:
        binary = find_mosquitto()
        if binary is None:
            raise FileNotFoundError("mosquitto is not installed (Debian: apt-get install mosquitto)")
        config = Path(self._folder.name) / "mosquitto.conf"
        lines = [f"listener {self.port} 127.0.0.1", "persistence false",
                 f"log_dest file {self.log_path}"]
        if self.tls is not None:
            lines += [f"certfile {self.tls[0]}", f"keyfile {self.tls[1]}"]
        if self.password_file is None:
            lines.append("allow_anonymous true")
        else:
            lines += ["allow_anonymous false", f"password_file {self.password_file}"]
        if os.geteuid() == 0:  # else mosquitto drops to its own user, which cannot read our files
            lines.append("user root")
        config.write_text("\n".join(lines) + "\n")
        self.process = subprocess.Popen([binary, "-c", str(config)], stdout=subprocess.DEVNULL,
                                        stderr=subprocess.DEVNULL)
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"mosquitto exited with {self.process.returncode}")
            try:
                socket.create_connection(("127.0.0.1", self.port), timeout=0.2).close()
                return self
            except OSError:
                time.sleep(0.05)
        self.stop()
        raise TimeoutError("mosquitto did not start listening")

    @property
    def log_path(self) -> Path:
        return Path(self._folder.name) / "mosquitto.log"

    @property
    def log(self) -> str:
        """What mosquitto logged so far ("New connection from ...", "... not authorised.")."""
        return self.log_path.read_text() if self.log_path.exists() else ""

    def stop(self) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(5)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
        self.process = None

    def close(self) -> None:
        self.stop()
        self._folder.cleanup()

    def __enter__(self) -> Broker:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.close()
