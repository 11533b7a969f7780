"""The device end of a pseudo-terminal, paced like a real serial line.

A program under test opens `path` exactly as it would open /dev/ttyUSB0. A pty moves bytes
instantly, so output is paced at the configured baud rate (10 bits per byte, 8N1): timings
measured against the simulator are those of a real line.
"""

from __future__ import annotations

import contextlib
import errno
import logging
import os
import select
import threading
import time
import tty
from pathlib import Path

log = logging.getLogger(__name__)


class PtyPort:
    def __init__(self, baudrate: int = 115200, link: Path | None = None):
        self.baudrate = baudrate
        self.master, self._slave = os.openpty()
        tty.setraw(self._slave)  # no echo or line editing before a client configures it
        os.set_blocking(self.master, False)
        self.path = os.ttyname(self._slave)
        self.link = link
        if link is not None:
            link.unlink(missing_ok=True)
            link.symlink_to(self.path)
        self._line_free_at = 0.0
        self.bytes_read = 0  # host -> device, for benchmarks of line use
        self.bytes_written = 0  # device -> host
        self._write_lock = threading.Lock()  # a reply and a URC never interleave on the line

    def byte_time(self, count: int) -> float:
        """Seconds `count` bytes occupy on the line (0 when unpaced)."""
        return count * 10 / self.baudrate if self.baudrate else 0.0

    def occupy(self, count: int) -> None:
        """Hold the line while `count` bytes from the host cross it (AT is command, then reply:
        the simulated line carries one direction at a time)."""
        start = max(time.monotonic(), self._line_free_at)
        self._line_free_at = start + self.byte_time(count)
        delay = self._line_free_at - time.monotonic()
        if delay > 0:
            time.sleep(delay)

    def read(self, timeout: float) -> bytes:
        ready, _, _ = select.select([self.master], [], [], timeout)
        if not ready:
            return b""
        try:
            data = os.read(self.master, 4096)
        except OSError as exc:
            if exc.errno in (errno.EAGAIN, errno.EIO):
                return b""
            raise
        self.bytes_read += len(data)
        return data

    def write(self, data: bytes) -> None:
        """Write at line speed; bytes nobody reads for 2 s are dropped, as a modem's would be."""
        with self._write_lock:
            self._write(data)

    def _write(self, data: bytes) -> None:
        now = time.monotonic()
        start = max(now, self._line_free_at)
        self._line_free_at = start + self.byte_time(len(data))
        view = memoryview(data)
        while view:
            if self.baudrate:
                # release the bytes as the line would carry them, in small slices
                due = self._line_free_at - self.byte_time(len(view))
                delay = due - time.monotonic()
                if delay > 0:
                    time.sleep(delay)
            chunk = view[:max(1, min(len(view), 64))] if self.baudrate else view
            _, writable, _ = select.select([], [self.master], [], 2.0)
            if not writable:
                log.warning("simulated port %s: nobody reads, %d bytes dropped", self.path,
                            len(view))
                return
            try:
                written = os.write(self.master, chunk)
            except BlockingIOError:
                continue
            view = view[written:]
            self.bytes_written += written

    def close(self) -> None:
        for fd in (self.master, self._slave):
            with contextlib.suppress(OSError):
                os.close(fd)
        if self.link is not None:
            self.link.unlink(missing_ok=True)
