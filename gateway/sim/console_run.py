"""The console in a child process, for the demo, the tests and the benchmarks: started on a
free port, ready once it answers, stopped by its PID."""

from __future__ import annotations

import ssl
import time
import urllib.request
from pathlib import Path
from urllib.error import HTTPError, URLError

from gateway.sim.harness import DaemonProcess


class ConsoleProcess(DaemonProcess):
    """`cangw console` with its log captured to console.log beside the config."""

    log_name = "console.log"

    def __init__(self, config: Path, url: str, log_level: str = "INFO",
                 context: ssl.SSLContext | None = None, hq: bool = False):
        """`hq`: headquarters' console (`config` is an hq.toml)."""
        super().__init__(config)
        self.command = ("console", "--log-level", log_level, *(("--hq",) if hq else ()))
        self.url = url.rstrip("/")
        self.context = context  # to trust a test certificate under TLS

    def start(self, timeout: float = 20.0) -> ConsoleProcess:
        """Start it and wait until it answers (its log in the error if it never does)."""
        super().start()
        assert self.process is not None
        deadline = time.monotonic() + timeout
        while True:
            if self.process.poll() is not None:
                raise RuntimeError(f"the console exited:\n{self.log[-2000:]}")
            try:
                with urllib.request.urlopen(f"{self.url}/login", timeout=2,
                                            context=self.context):
                    return self
            except HTTPError:  # an answer all the same (a wiped gateway's console says 410)
                return self
            except (URLError, OSError):
                if time.monotonic() > deadline:
                    self.stop()
                    raise RuntimeError(f"the console did not answer:\n{self.log[-2000:]}") \
                        from None
                time.sleep(0.1)
