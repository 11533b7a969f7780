"""What every simulated device shares: a pseudo-terminal served by a background thread, started
and stopped like a context manager. A subclass says what the host's bytes mean (`_process`)."""

from __future__ import annotations

import logging
import threading
from pathlib import Path
from typing import Self

from gateway.sim.pty_port import PtyPort

log = logging.getLogger(__name__)


class PtyDevice:
    thread_name = "sim-device"

    def __init__(self, baudrate: int, link: Path | None = None):
        self.port = PtyPort(baudrate, link)
        self._lock = threading.RLock()
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._serve, name=self.thread_name, daemon=True)

    @property
    def path(self) -> str:
        """The pty to open, as a program would open /dev/ttyUSB0."""
        return str(self.port.link or self.port.path)

    def start(self) -> Self:
        self._thread.start()
        return self

    def stop(self) -> None:
        self._stop.set()
        self._thread.join(timeout=3)
        self.port.close()

    def __enter__(self) -> Self:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    def _serve(self) -> None:
        buffer = b""
        while not self._stop.is_set():
            buffer += self.port.read(0.1)
            try:
                buffer = self._process(buffer)
            except Exception:  # a simulator bug must not look like a device hang
                log.exception("%s failed on %r", type(self).__name__, buffer[:80])
                buffer = b""

    def _process(self, buffer: bytes) -> bytes:
        """Act on what the host wrote; return the bytes kept for later (an unfinished line)."""
        raise NotImplementedError
