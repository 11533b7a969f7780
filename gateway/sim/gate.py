"""The network path between a base and its broker, opened when a test or a benchmark says so.

`Gate(port, target)` forwards each TCP connection made to `port` on to `target` while it is
open; before it opens and after it closes, `port` refuses connections, as a broker that is down
does. It lets a subscriber at headquarters be in place on the real broker before the daemon,
retrying every second, can reach it: nothing published in between is missed.
"""

from __future__ import annotations

import contextlib
import selectors
import socket
import socketserver
import threading
from typing import cast


class _Server(socketserver.ThreadingTCPServer):
    allow_reuse_address = True
    daemon_threads = True


class Gate:
    def __init__(self, port: int, target: int):
        self.port = port
        self.target = target
        self._server: _Server | None = None
        self._open: list[socket.socket] = []
        self._lock = threading.Lock()

    def open(self) -> Gate:
        gate = self

        class Forward(socketserver.BaseRequestHandler):
            def handle(self) -> None:
                gate._forward(self.request)

        server = _Server(("127.0.0.1", self.port), Forward)
        # close() waits for the server's next look at its flag: every 0.05 s, not 0.5 s
        threading.Thread(target=server.serve_forever, args=(0.05,), name="gate",
                         daemon=True).start()
        self._server = server
        return self

    def close(self) -> None:
        """Refuse new connections and cut the ones going through."""
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
            self._server = None
        with self._lock:
            ends, self._open = self._open, []
        for end in ends:
            with contextlib.suppress(OSError):
                end.shutdown(socket.SHUT_RDWR)

    def _forward(self, client: socket.socket) -> None:
        try:
            upstream = socket.create_connection(("127.0.0.1", self.target), timeout=5)
        except OSError:
            return
        upstream.settimeout(None)
        with self._lock:
            self._open += [client, upstream]
        try:
            self._pump({client: upstream, upstream: client})
        finally:
            upstream.close()
            with self._lock:
                self._open = [end for end in self._open if end not in (client, upstream)]

    @staticmethod
    def _pump(other: dict[socket.socket, socket.socket]) -> None:
        """Copy bytes each way until either end closes."""
        with selectors.DefaultSelector() as selector, contextlib.suppress(OSError):
            for end in other:
                selector.register(end, selectors.EVENT_READ)
            while True:
                for key, _ in selector.select():
                    end = cast(socket.socket, key.fileobj)
                    data = end.recv(65536)
                    if not data:
                        return
                    other[end].sendall(data)

    def __enter__(self) -> Gate:
        return self.open()

    def __exit__(self, *exc: object) -> None:
        self.close()
