"""Clients that hold a connection open (slow posts, idle sockets) are cut off after
`request_timeout`, and beyond `max_connections` a connection is turned away at once: a few
sockets must not hold the bridge the provider posts to."""

from __future__ import annotations

import socket
import threading
import time

from gateway.sim.broker import free_port
from gateway.sim.harness import wait_for
from tests.hq.test_hq_bridge import _health, delivery, post, running_bridge, write_hq_config

HEAD = (b"POST /rockblock HTTP/1.0\r\nContent-Type: application/x-www-form-urlencoded\r\n"
        b"Content-Length: 1000\r\n\r\n")


class SlowClient:
    """Sends `opening`, then one byte every 0.2 s (unless idle) until the bridge hangs up."""

    def __init__(self, port: int, opening: bytes, dribble: bool = True):
        self.sock = socket.create_connection(("127.0.0.1", port), timeout=5)
        self.sock.sendall(opening)
        self.stop = threading.Event()
        self.thread = threading.Thread(target=self._dribble, daemon=True) if dribble else None
        if self.thread:
            self.thread.start()

    def _dribble(self) -> None:
        while not self.stop.wait(0.2):
            try:
                self.sock.send(b"a")
            except OSError:
                return

    def answer(self, timeout: float) -> bytes:
        """What the bridge said before it closed the connection (TimeoutError: still open)."""
        self.sock.settimeout(timeout)
        received = b""
        try:
            while chunk := self.sock.recv(1000):
                received += chunk
        except ConnectionResetError:
            pass
        return received

    def close(self) -> None:
        self.stop.set()
        if self.thread:
            self.thread.join()
        self.sock.close()


def test_slow_and_idle_clients_are_cut_off_and_the_excess_turned_away(tmp_path, broker):
    port = free_port()
    config = write_hq_config(tmp_path, broker.port, port,
                             extra="request_timeout = 1.0\nmax_connections = 4")
    with running_bridge(config):
        wait_for(lambda: _health(port), 15, what="the bridge listening")
        clients = [SlowClient(port, HEAD), SlowClient(port, HEAD),
                   SlowClient(port, b"POST /rockblock HTTP/1.0\r\nX-Slow: "),  # endless header
                   SlowClient(port, b"", dribble=False)]  # connected, says nothing
        try:
            started = time.monotonic()
            extra = socket.create_connection(("127.0.0.1", port), timeout=5)
            with extra:  # a fifth while four are held: turned away at once, not queued
                extra.sendall(HEAD)
                assert extra.recv(100).startswith(b"HTTP/1.0 503")
            answers = [client.answer(timeout=10) for client in clients]
            held = time.monotonic() - started
        finally:
            for client in clients:
                client.close()
        assert held < 8, f"slow clients held the bridge for {held:.1f} s"
        assert answers[0].startswith(b"HTTP/1.0 408") and answers[1].startswith(b"HTTP/1.0 408")
        assert post(port, delivery()) == (200, "OK\n")  # the provider gets through again
