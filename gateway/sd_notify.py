"""systemd's notify protocol (sd_notify) on its AF_UNIX datagram socket: no dependency needed.

Under `Type=notify` systemd sets NOTIFY_SOCKET; with `WatchdogSec=` also WATCHDOG_USEC. Outside
systemd (a terminal, the tests' child daemons) both are absent and every call does nothing.
"""

from __future__ import annotations

import logging
import os
import socket

log = logging.getLogger(__name__)


class SystemdNotifier:
    def __init__(self, environ: dict[str, str] | None = None):
        env = os.environ if environ is None else environ
        address = env.get("NOTIFY_SOCKET", "")
        self.address = "\0" + address[1:] if address.startswith("@") else address  # abstract
        self.watchdog_interval = _watchdog_interval(env)
        self._failed = False

    def send(self, *fields: str) -> bool:
        """Send `KEY=value` lines in one datagram; False when there is no socket or it failed."""
        if not self.address:
            return False
        try:
            with socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM) as sock:
                sock.connect(self.address)
                sock.sendall("\n".join(fields).encode("utf-8"))
        except OSError as exc:
            if not self._failed:  # say it once: the watchdog will tell the rest
                log.error("cannot notify systemd on %s: %s", self.address.lstrip("\0"), exc)
            self._failed = True
            return False
        self._failed = False
        return True


def _watchdog_interval(env: dict[str, str] | os._Environ[str]) -> float | None:
    """Seconds between watchdog pings (half of WatchdogSec=), or None without a watchdog."""
    usec = env.get("WATCHDOG_USEC", "")
    pid = env.get("WATCHDOG_PID", "")
    if not usec.isdigit() or int(usec) == 0 or (pid and pid != str(os.getpid())):
        return None
    return int(usec) / 1_000_000 / 2
