"""Inbound SMS, cangw beside gammu-smsd on the same simulated modem.

For each program in turn (A B A B ...): single SMS and bursts of 10 and 100 injected at the
simulated modem, each timed from its +CMTI (the moment the modem announces it) to its row
visible in the program's database; then a full SIM (30 messages stored before the program
starts) drained, from the program's first read of storage to the last row. Bytes written to
disk per message come from /proc/<pid>/io over the same runs.
"""

from __future__ import annotations

import tempfile
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path

from programs import GammuSmsd, Gateway, write_bytes

from gateway.sim.gsm_modem import SimulatedModem
from gateway.sim.harness import wait_for

FULL_SIM = 30
BAUD = 115200


@dataclass
class Sample:
    """What one session of one program measured."""

    latency: dict[int, list[float]] = field(default_factory=dict)  # burst size -> seconds
    drain_per_minute: float | None = None
    line_use: float | None = None
    bytes_per_message: float | None = None


class LineSampler:
    """Samples the simulated line's byte counters, to know how busy it was in a time window."""

    def __init__(self, sim: SimulatedModem):
        self.sim = sim
        self.samples: list[tuple[float, int]] = []
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)
        self._thread.start()

    def _run(self) -> None:
        while not self._stop.is_set():
            port = self.sim.port
            self.samples.append((time.time(), port.bytes_read + port.bytes_written))
            self._stop.wait(0.002)

    def bytes_between(self, start: float, end: float) -> int:
        before = max((b for t, b in self.samples if t <= start), default=0)
        after = min((b for t, b in self.samples if t >= end), default=self.samples[-1][1])
        return after - before

    def close(self) -> None:
        self._stop.set()
        self._thread.join()


def session(make, bursts: dict[int, int], tag: str) -> Sample:
    """Run one program on a fresh simulated modem: the full-SIM drain, then the bursts."""
    sample = Sample()
    with tempfile.TemporaryDirectory() as folder, \
            SimulatedModem(baudrate=BAUD, capacity=255) as sim:
        for i in range(FULL_SIM):  # stored while the program is not running yet
            sim.inject_sms(f"+2439901{i:05d}", f"full {tag} {i}")
        program = make(Path(folder), sim)
        line = LineSampler(sim)
        program.start()
        watcher = program.watcher()
        try:
            texts = [f"full {tag} {i}" for i in range(FULL_SIM)]
            wait_for(lambda: all(t in watcher.seen for t in texts), 120, what="full SIM drained")
            first_read = min(t for t, kind, _ in sim.events if kind in ("cmgl", "cmgr"))
            last_row = max(watcher.seen[t] for t in texts)
            window = last_row - first_read
            sample.drain_per_minute = FULL_SIM / window * 60
            sample.line_use = sim.port.byte_time(line.bytes_between(first_read, last_row)) / window
            wait_for(lambda: not sim.stored, 60, what="SIM emptied")
            written_before = write_bytes(program.pid)
            count = 0
            for size, rounds in bursts.items():
                sample.latency[size] = []
                for r in range(rounds):
                    sample.latency[size] += _burst(sim, watcher, size, f"{tag} {size} {r}")
                    count += size
            sample.bytes_per_message = (write_bytes(program.pid) - written_before) / count
        finally:
            watcher.close()
            line.close()
            program.stop()
    return sample


def _burst(sim: SimulatedModem, watcher, size: int, tag: str) -> list[float]:
    events = len(sim.events)
    texts = [f"burst {tag} {i}" for i in range(size)]
    for i, text in enumerate(texts):
        sim.inject_sms(f"+2439900{i:05d}", text)
    notified = [t for t, kind, _ in sim.events[events:] if kind == "cmti"]
    wait_for(lambda: all(t in watcher.seen for t in texts), 180, what=f"burst of {size}")
    wait_for(lambda: not sim.stored, 60, what="SIM emptied")
    time.sleep(0.5)
    return [watcher.seen[t] - n for t, n in zip(texts, notified, strict=True)]


def programs() -> list[tuple[str, object]]:
    """The programs compared: cangw, and gammu-smsd at its defaults and polling every second."""
    chosen = [("cangw", lambda folder, sim: Gateway(folder, sim))]
    if GammuSmsd.available():
        chosen += [("gammu-smsd (defaults)", lambda folder, sim: GammuSmsd(folder, sim)),
                   ("gammu-smsd (ReceiveFrequency = 1)",
                    lambda folder, sim: GammuSmsd(folder, sim, receive_frequency=1))]
    return chosen


def compare(rounds: int, bursts: dict[int, int]) -> dict[str, list[Sample]]:
    """Sessions of every program, alternated (A B C A B C ...) so load on the machine hits all."""
    results: dict[str, list[Sample]] = {name: [] for name, _ in programs()}
    for r in range(rounds):
        for name, make in programs():
            results[name].append(session(make, bursts, f"{r}"))
    return results
