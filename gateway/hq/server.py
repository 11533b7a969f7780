"""The bridge's HTTP side: the provider's posts in, `GET /health` out.

One thread per connection, but never more than `max_connections` at once: the next one is
answered 503 at once and closed, rather than queued behind clients that never finish. Each
request must arrive whole within `request_timeout` seconds from the connection (a deadline for
the whole request, not per read, so a client sending a byte a second is cut off too); a body
that is late is answered 408. Access lines leave out the query string: it may hold the secret.
"""

from __future__ import annotations

import contextlib
import io
import json
import logging
import re
import socket
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any, Protocol
from urllib.parse import urlsplit

from gateway.hq.config import HttpConfig
from gateway.repeats import Repeats

log = logging.getLogger(__name__)

CONTENT_LENGTH = re.compile(r"[0-9]{1,9}", re.ASCII)
WRITE_TIMEOUT = 5.0
TURNED_AWAY = (b"HTTP/1.0 503 Service Unavailable\r\nRetry-After: 5\r\nContent-Length: 0\r\n"
               b"Connection: close\r\n\r\n")


class Receiver(Protocol):
    """What the server needs of the bridge."""

    def receive(self, path: str, content_type: str, body: bytes) -> tuple[int, str]: ...

    def health(self) -> dict[str, Any]: ...


class BridgeServer(ThreadingHTTPServer):
    daemon_threads = True

    def __init__(self, config: HttpConfig, receiver: Receiver):
        self.http = config
        self.receiver = receiver
        self.slots = threading.BoundedSemaphore(config.max_connections)
        self._repeats = Repeats()
        self._repeats_lock = threading.Lock()  # noted from every connection's thread
        super().__init__((config.host, config.port), _Handler)

    def process_request(self, request: Any, client_address: Any) -> None:
        if not self.slots.acquire(blocking=False):
            self.note("full", f"{self.http.max_connections} connections at once "
                              "(max_connections): turning the next ones away (503)")
            with contextlib.suppress(OSError):
                request.setblocking(False)
                request.send(TURNED_AWAY)
            self.shutdown_request(request)
            return
        try:
            super().process_request(request, client_address)
        except BaseException:
            self.slots.release()
            raise

    def process_request_thread(self, request: Any, client_address: Any) -> None:
        try:
            super().process_request_thread(request, client_address)
        finally:
            self.slots.release()

    def handle_error(self, request: Any, client_address: Any) -> None:
        """A connection that broke (the client went away): one line, not a traceback."""
        log.debug("hq-bridge: connection from %s ended badly", client_address[0], exc_info=True)

    def note(self, what: str, message: str) -> None:
        """A warning once, then every 10 minutes while it goes on (a flood must not fill the
        log)."""
        with self._repeats_lock:
            due = self._repeats.due(what)
        log.log(logging.WARNING if due else logging.DEBUG, "hq-bridge: %s", message)


class _DeadlineReader(io.RawIOBase):
    """The socket's bytes until a deadline for the whole request; then TimeoutError."""

    def __init__(self, sock: socket.socket, deadline: float):
        self.sock = sock
        self.deadline = deadline

    def readable(self) -> bool:
        return True

    def readinto(self, buffer: Any) -> int:
        left = self.deadline - time.monotonic()
        if left <= 0:
            raise TimeoutError("the request did not arrive in time")
        self.sock.settimeout(left)
        return self.sock.recv_into(buffer)


class _Handler(BaseHTTPRequestHandler):
    server: BridgeServer
    server_version = "cangw-hq-bridge"

    def setup(self) -> None:
        super().setup()
        self.rfile.close()  # the plain one, replaced by one with a deadline
        self.rfile = io.BufferedReader(_DeadlineReader(
            self.connection, time.monotonic() + self.server.http.request_timeout))

    def do_POST(self) -> None:
        http = self.server.http
        declared = (self.headers.get("Content-Length") or "0").strip()
        if not CONTENT_LENGTH.fullmatch(declared):
            self._answer(400, "Content-Length is not a number")
            return
        length = int(declared)
        if length > http.max_body:
            self._answer(413, f"body over {http.max_body} bytes")
            return
        try:
            body = self.rfile.read(length)
        except TimeoutError:
            self._cut_off()
            self._answer(408, f"the request did not arrive within {http.request_timeout:g} s")
            return
        if len(body) < length:
            self._answer(400, f"body ends after {len(body)} of {length} bytes")
            return
        try:
            status, reason = self.server.receiver.receive(
                self.path, self.headers.get("Content-Type", ""), body)
        except Exception:  # one bad post must not stop the bridge
            log.exception("hq-bridge: error while handling a post")
            status, reason = 500, "internal error; the post was not kept"
        self._answer(status, reason)

    def do_GET(self) -> None:
        if urlsplit(self.path).path != "/health":
            self._answer(404, "POST deliveries to " + self.server.http.path)
            return
        self._answer(200, json.dumps(self.server.receiver.health()))

    def _answer(self, status: int, reason: str) -> None:
        body = (reason + "\n").encode("utf-8")
        self.connection.settimeout(WRITE_TIMEOUT)  # a client that does not read is let go
        self.send_response(status)
        self.send_header("Content-Type", "text/plain; charset=utf-8")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def _cut_off(self) -> None:
        self.server.note("slow", f"a client did not send its request within "
                                 f"{self.server.http.request_timeout:g} s (request_timeout): "
                                 "cut off")

    def log_error(self, format: str, *args: object) -> None:
        if args and isinstance(args[0], TimeoutError):  # the request line or headers were late
            self._cut_off()
        self.log_message(format, *args)

    def log_message(self, format: str, *args: object) -> None:
        """Access lines without the query string (it may hold the shared secret)."""
        log.debug("%s %s", getattr(self, "command", None) or "-",
                  urlsplit(getattr(self, "path", "") or "").path)
