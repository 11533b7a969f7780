"""The console in a child process, for the demo, the tests and the benchmarks: started on a
free port, ready once it answers, stopped by its PID."""

from __future__ import annotations

import subprocess
import sys
import time
import urllib.request
from pathlib import Path
from urllib.error import URLError


class ConsoleProcess:
    """`cangw console` with its log captured to a file beside the config."""

    def __init__(self, config: Path, url: str, log_level: str = "INFO"):
        self.config = config
        self.url = url.rstrip("/")
        self.log_path = config.parent / "console.log"
        self.log_level = log_level
        self.process: subprocess.Popen | None = None

    def start(self, timeout: float = 20.0) -> ConsoleProcess:
        self._log = open(self.log_path, "a")  # noqa: SIM115 - closed in stop()
        self.process = subprocess.Popen(
            [sys.executable, "-m", "gateway", "-c", str(self.config), "console",
             "--log-level", self.log_level], stdout=self._log, stderr=subprocess.STDOUT)
        deadline = time.monotonic() + timeout
        while True:
            if self.process.poll() is not None:
                raise RuntimeError(f"the console exited:\n{self.log[-2000:]}")
            try:
                with urllib.request.urlopen(f"{self.url}/login", timeout=2):
                    return self
            except (URLError, OSError):
                if time.monotonic() > deadline:
                    self.stop()
                    raise RuntimeError(f"the console did not answer:\n{self.log[-2000:]}") \
                        from None
                time.sleep(0.1)

    @property
    def pid(self) -> int:
        assert self.process is not None
        return self.process.pid

    def stop(self, timeout: float = 10.0) -> int:
        assert self.process is not None
        if self.process.poll() is None:
            self.process.terminate()
        try:
            code = self.process.wait(timeout)
        except subprocess.TimeoutExpired:
            self.process.kill()
            code = self.process.wait()
        self._log.close()
        return code

    @property
    def log(self) -> str:
        return self.log_path.read_text() if self.log_path.exists() else ""

    def __enter__(self) -> ConsoleProcess:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        if self.process is not None and self.process.poll() is None:
            self.stop()
