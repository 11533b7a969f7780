"""A TNC's KISS TCP port, as direwolf offers it, for tests that need what direwolf will not do
on demand: send garbage, drop the connection, stay silent, come back.

`send()` writes raw bytes to the connected client (the gateway); `frames` are the KISS frames
the client wrote, decoded with the same codec; `drop()` closes the client's connection, and
`stop()`/`start()` take the listening port away and bring it back; `on_connect` bytes are sent
the moment a client is accepted (a TNC relaying a frame it heard as the gateway connected).
"""

from __future__ import annotations

import contextlib
import socket
import threading
import time
from collections.abc import Callable

from gateway.hf.kiss import KissDecoder, KissFrame
from gateway.sim.broker import free_port


class KissTcpTnc:
    def __init__(self, port: int | None = None):
        self.port = port or free_port()
        self.frames: list[KissFrame] = []
        self.connections = 0
        self.on_connect = b""
        self._server: socket.socket | None = None
        self._client: socket.socket | None = None
        self._lock = threading.Lock()
        self._threads: list[threading.Thread] = []

    @property
    def url(self) -> str:
        return f"socket://127.0.0.1:{self.port}"

    def start(self) -> KissTcpTnc:
        server = socket.socket()
        server.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        server.bind(("127.0.0.1", self.port))
        server.listen(1)
        self._server = server
        self._spawn(self._accept, server)
        return self

    def _spawn(self, target: Callable[..., object], *args: object) -> None:
        thread = threading.Thread(target=target, args=args, daemon=True)
        thread.start()
        self._threads.append(thread)

    def _accept(self, server: socket.socket) -> None:
        while True:
            try:
                client, _ = server.accept()
            except OSError:
                return  # the server socket was closed
            with self._lock:
                self._close_client()
                self._client = client
                self.connections += 1
                if self.on_connect:
                    with contextlib.suppress(OSError):
                        client.sendall(self.on_connect)
            self._spawn(self._read, client)

    def _read(self, client: socket.socket) -> None:
        decoder = KissDecoder()
        while True:
            try:
                data = client.recv(4096)
            except OSError:
                return
            if not data:
                return
            with self._lock:
                self.frames += [f for f in decoder.feed(data) if isinstance(f, KissFrame)]

    def wait_client(self, connections: int = 1, timeout: float = 20.0) -> None:
        """Until the gateway has connected `connections` times in all."""
        deadline = time.monotonic() + timeout
        while self.connections < connections:
            if time.monotonic() > deadline:
                raise TimeoutError(f"no client connection #{connections} within {timeout} s")
            time.sleep(0.02)

    def send(self, data: bytes) -> None:
        with self._lock:
            if self._client is None:
                raise ConnectionError("no client connected")
            self._client.sendall(data)

    def drop(self) -> None:
        """Close the client's connection, as a TNC that restarts does."""
        with self._lock:
            self._close_client()

    def _close_client(self) -> None:
        if self._client is not None:
            with contextlib.suppress(OSError):
                self._client.shutdown(socket.SHUT_RDWR)
            self._client.close()
            self._client = None

    def stop(self) -> None:
        """Stop listening and drop the client (the TNC is gone)."""
        if self._server is not None:
            with contextlib.suppress(OSError):
                self._server.shutdown(socket.SHUT_RDWR)
            self._server.close()
            self._server = None
        self.drop()
        for thread in self._threads:
            thread.join(2)
        self._threads.clear()

    def __enter__(self) -> KissTcpTnc:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()
