"""Debian's direwolf as the base's TNC, with audio on stdin: the HF peer for tests and benchmarks.

`modulate()` turns `SRC>DEST:text` packets into 300-baud HF AFSK audio with direwolf's
`gen_packets`; `Direwolf` runs `direwolf` reading audio from stdin (`ADEVICE stdin null`), paced
like a sound card, with its KISS interface on a free TCP port (no pseudo-terminal, so nothing
is written to the shared /tmp/kisstnc). Silence is fed between messages: direwolf transmits
only while audio keeps flowing in.
"""

from __future__ import annotations

import contextlib
import io
import queue
import random
import re
import shutil
import socket
import subprocess
import tempfile
import threading
import time
import wave
from pathlib import Path

SAMPLE_RATE = 48000
BAUD = 300
CHUNK_SECONDS = 0.02
MAX_KISS_PORT = 49151  # direwolf refuses higher ports and silently falls back to 8001


def find_direwolf() -> str | None:
    return shutil.which("direwolf")


def modulate(packet: str, sample_rate: int = SAMPLE_RATE) -> bytes:
    """16-bit mono PCM of one packet in direwolf's monitor format (`9Q2KAM>UNBASE:2 KAMANGO`;
    `<0xNN>` inserts a raw byte)."""
    with tempfile.TemporaryDirectory(prefix="cangw-gen-") as folder:
        wav = Path(folder) / "packet.wav"
        subprocess.run(["gen_packets", "-B", str(BAUD), "-r", str(sample_rate), "-o", str(wav),
                        "-"], input=packet.encode("latin-1"), check=True,
                       stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        return read_pcm(wav.read_bytes())


def free_kiss_port() -> int:
    """A free TCP port direwolf accepts (the kernel's ephemeral ports often lie above it)."""
    chooser = random.Random()
    for _ in range(200):
        port = chooser.randint(20000, MAX_KISS_PORT)
        with socket.socket() as probe:
            try:
                probe.bind(("127.0.0.1", port))
            except OSError:
                continue
            return port
    raise OSError("no free TCP port for direwolf's KISS interface")


def read_pcm(wav_bytes: bytes) -> bytes:
    with wave.open(io.BytesIO(wav_bytes)) as wav:
        return wav.readframes(wav.getnframes())


class Direwolf:
    """`with Direwolf(folder) as tnc:` direwolf listening for KISS clients on `tnc.url`."""

    def __init__(self, folder: Path, mycall: str = "NOCALL", speed: float = 1.0):
        self.folder = Path(folder)
        self.mycall = mycall
        self.speed = speed  # audio fed this many times faster than real time
        self.kiss_port = free_kiss_port()
        self.log_path = self.folder / "direwolf.log"
        self.process: subprocess.Popen | None = None
        self._audio: queue.Queue[tuple[bytes, threading.Event, list[float]]] = queue.Queue()
        self._stop = threading.Event()
        self._feeder: threading.Thread | None = None

    @property
    def url(self) -> str:
        return f"socket://127.0.0.1:{self.kiss_port}"

    def start(self) -> Direwolf:
        binary = find_direwolf()
        if binary is None:
            raise FileNotFoundError("direwolf is not installed (Debian: apt-get install direwolf)")
        config = self.folder / "direwolf.conf"
        config.write_text(
            f"ADEVICE stdin null\nACHANNELS 1\nARATE {SAMPLE_RATE}\nCHANNEL 0\n"
            f"MYCALL {self.mycall}\nMODEM {BAUD}\nAGWPORT 0\nKISSPORT {self.kiss_port}\n")
        self._log = open(self.log_path, "wb")  # noqa: SIM115 - closed in stop()
        self.process = subprocess.Popen(
            [binary, "-c", str(config), "-t", "0", "-r", str(SAMPLE_RATE), "-"],
            stdin=subprocess.PIPE, stdout=self._log, stderr=subprocess.STDOUT, cwd=self.folder)
        self._feeder = threading.Thread(target=self._feed, name="direwolf-audio", daemon=True)
        self._feeder.start()
        self._wait_listening()
        return self

    def _wait_listening(self, timeout: float = 20.0) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            assert self.process is not None
            if self.process.poll() is not None:
                raise RuntimeError(f"direwolf exited:\n{self.log[-2000:]}")
            if f"KISS TCP client application 0 on port {self.kiss_port}" in self.log:
                try:
                    socket.create_connection(("127.0.0.1", self.kiss_port), timeout=0.5).close()
                    return
                except OSError:
                    pass
            time.sleep(0.05)
        raise TimeoutError("direwolf did not open its KISS port")

    def play(self, pcm: bytes, timeout: float = 60.0) -> float:
        """Feed audio as a sound card would; returns when its last sample went in, with that time."""
        done, when = threading.Event(), list[float]()
        self._audio.put((pcm, done, when))
        if not done.wait(timeout):
            raise TimeoutError("audio not fed in time")
        return when[0]

    def _feed(self) -> None:
        """Audio at the sound card's pace: queued messages, silence between them."""
        assert self.process is not None and self.process.stdin is not None
        chunk = int(SAMPLE_RATE * CHUNK_SECONDS) * 2
        silence = bytes(chunk)
        pending = b""
        done: threading.Event | None = None
        when: list[float] = []
        started, fed = time.monotonic(), 0
        while not self._stop.is_set():
            if not pending and done is None:
                with contextlib.suppress(queue.Empty):
                    pending, done, when = self._audio.get_nowait()
            data, pending = (pending[:chunk], pending[chunk:]) if pending else (silence, b"")
            try:
                self.process.stdin.write(data)
                self.process.stdin.flush()
            except (BrokenPipeError, ValueError, OSError):
                return
            if done is not None and not pending:
                when.append(time.time())
                done.set()
                done = None
            fed += len(data) // 2
            delay = started + fed / SAMPLE_RATE / self.speed - time.monotonic()
            if delay > 0:
                time.sleep(delay)

    @property
    def log(self) -> str:
        """direwolf's console output (colour codes removed)."""
        if not self.log_path.exists():
            return ""
        text = self.log_path.read_bytes().decode("utf-8", "replace")
        return re.sub(r"\x1b\[[0-9;]*m", "", text)

    def stop(self) -> None:
        self._stop.set()
        if self._feeder is not None:
            self._feeder.join(5)
        if self.process is not None:
            if self.process.stdin:
                with contextlib.suppress(OSError):
                    self.process.stdin.close()
            try:
                self.process.wait(10)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
            self._log.close()
            self.process = None

    def __enter__(self) -> Direwolf:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

