"""What every simulated device shares: a pseudo-terminal served by a background thread, started
and stopped like a context manager. A subclass says what the host's bytes mean (`_process`).

The pty may be taken away (`port` None: the device was unplugged) or replaced by another (it
came back under a new name); the serving thread follows whichever is current."""

from __future__ import annotations

import abc
import logging
import threading
import time
from pathlib import Path
from typing import Self

from gateway.sim.pty_port import PtyPort

log = logging.getLogger(__name__)


class PtyDevice(abc.ABC):
    thread_name = "sim-device"

    def __init__(self, baudrate: int, link: Path | None = None):
        self.port: PtyPort | None = PtyPort(baudrate, link)
        self._baud_and_link = (baudrate, link)
        self._lock = threading.RLock()
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._serve, name=self.thread_name, daemon=True)

    @property
    def path(self) -> str:
        """The pty to open, as a program would open /dev/ttyUSB0 (or its stable symlink)."""
        link = self._baud_and_link[1]
        if link is not None:
            return str(link)
        assert self.port is not None, "an unplugged device without a symlink has no path"
        return self.port.path

    def start(self) -> Self:
        self._thread.start()
        return self

    def stop(self) -> None:
        self._stop.set()
        self._thread.join(timeout=3)
        if self.port is not None:
            self.port.close()

    def __enter__(self) -> Self:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    def _serve(self) -> None:
        buffer = b""
        serving = self.port
        while not self._stop.is_set():
            port = self.port
            if port is None:
                time.sleep(0.05)
                continue
            if port is not serving:  # plugged in again: what the old tty held is gone
                serving, buffer = port, b""
                self._new_port()
            try:
                buffer += port.read(0.1)
            except OSError:  # unplugged while reading
                continue
            try:
                buffer = self._process(buffer)
            except Exception:  # a simulator bug must not look like a device hang
                log.exception("%s failed on %r", type(self).__name__, buffer[:80])
                buffer = b""

    def attached(self) -> PtyPort:
        """The tty the device is on; OSError while it is unplugged (as writing to it would)."""
        port = self.port
        if port is None:
            raise OSError("the device is unplugged")
        return port

    def _new_port(self) -> None:  # noqa: B027 - an optional hook: most devices keep nothing
        """The device now serves another tty: forget what was half-received on the old one."""

    @abc.abstractmethod
    def _process(self, buffer: bytes) -> bytes:
        """Act on what the host wrote; return the bytes kept for later (an unfinished line)."""
