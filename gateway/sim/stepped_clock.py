"""A wall clock the test steps, for the real daemon in a child process.

The Pi has no real-time clock, so its wall clock steps when NTP or the network's time arrives.
`python -m gateway.sim.stepped_clock OFFSET_FILE ARGS...` runs `cangw ARGS...` with the wall
clock (`time.time`) ahead of the system's by the seconds written in OFFSET_FILE, read again
every 20 ms, and the monotonic clock left alone: what the daemon sees when the system clock
steps. `SteppedClock` is the test's side: it writes the file.
"""

from __future__ import annotations

import os
import sys
import threading
import time
from pathlib import Path

LOOK_EVERY = 0.02


class SteppedClock:
    def __init__(self, folder: Path):
        self.path = folder / "clock-offset"
        self.offset = 0
        self._write()

    def python_args(self) -> list[str]:
        """What runs the cangw command on this clock: `python <these> -c FILE run`."""
        return ["-m", __name__, str(self.path)]

    def step(self, seconds: int) -> None:
        """Step the child's wall clock by `seconds` (negative: back)."""
        self.offset += seconds
        self._write()

    def _write(self) -> None:
        partial = self.path.with_name(self.path.name + ".part")
        partial.write_text(f"{self.offset}\n")
        os.replace(partial, self.path)  # never a half-written offset


def _follow(path: Path) -> None:
    """Make `time.time` follow the offset in `path` from now on."""
    system_time, offset = time.time, [float(path.read_text())]

    def follow() -> None:
        while True:
            time.sleep(LOOK_EVERY)
            try:
                offset[0] = float(path.read_text())
            except (OSError, ValueError):
                continue

    time.time = lambda: system_time() + offset[0]
    threading.Thread(target=follow, name="stepped-clock", daemon=True).start()


if __name__ == "__main__":
    _follow(Path(sys.argv[1]))
    from gateway.cli import cli

    cli(sys.argv[2:], prog_name="cangw")
