"""Time to recover from each modem fault: the daemon's GSM worker against the simulated modem.

For each fault, several samples of: fault injected -> the link recorded down (detection), and
-> the link up again and an SMS sent after the fault stored (recovery). The relay for the
power-cycle is a gpiozero mock pin wired to the simulated modem's supply. Default settings
(health_interval 10 s, command_timeout 10 s) unless --fast.

    .venv/bin/python bench/modem_recovery.py [--samples 3] [--fast]
"""

from __future__ import annotations

import argparse
import statistics
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

from gpiozero.pins.mock import MockFactory

from gateway.sim.gsm_modem import SimulatedModem
from gateway.sim.harness import gsm_worker, link_state, query, wait_for
from gateway.sim.modem_faults import follow_relay

PHONE = "+243990000101"


def _state(db: Path, wanted: str, timeout: float = 300) -> float:
    wait_for(lambda: link_state(db, "gsm").get("state") == wanted, timeout=timeout,
             interval=0.05, what=f"gsm {wanted}")
    return time.monotonic()


def _stored(db: Path, text: str) -> float:
    wait_for(lambda: query(db, "SELECT 1 FROM messages WHERE unseal(text) = ?", [text]), timeout=300,
             interval=0.05, what=f"{text!r} stored")
    return time.monotonic()


def measure(fault: str, inject: Callable[[SimulatedModem], None], gsm: str,
            relay: bool = False, replug_after: float | None = None) -> tuple[float, float]:
    """(seconds to detection, seconds to recovery) for one injection of `fault`."""
    with tempfile.TemporaryDirectory() as folder:
        work = Path(folder)
        link = work / "cangw-gsm"
        factory = MockFactory() if relay else None
        with SimulatedModem(link=link) as modem:
            unwire = follow_relay(modem, factory.pin(5)) if factory else (lambda: None)
            config = gsm + ("power_pin = 5\n" if relay else "")
            try:
                with gsm_worker(work, str(link), config, factory):
                    db = work / "gateway.db"
                    _state(db, "up")
                    time.sleep(1)
                    started = time.monotonic()
                    inject(modem)
                    detected = _state(db, "down")
                    if replug_after is not None:
                        time.sleep(replug_after)
                        modem.replug()
                    text = f"2 Kamango after {fault}"
                    modem.inject_sms(PHONE, text)
                    _state(db, "up")
                    recovered = _stored(db, text)
            finally:
                unwire()
    return detected - started, recovered - started


FAULTS: list[tuple[str, Callable[[SimulatedModem], None], dict]] = [
    ("restarts by itself (silent 5 s)", lambda m: m.hang("time", seconds=5), {}),
    ("hung until a soft reset", lambda m: m.hang("reset"), {}),
    ("hung until a power-cycle (relay)", lambda m: m.hang("power"), {"relay": True}),
    ("unplugged, back after 10 s under another name", lambda m: m.unplug(),
     {"replug_after": 10.0}),
]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--samples", type=int, default=3)
    parser.add_argument("--fast", action="store_true",
                        help="health_interval 2 s, command_timeout 3 s (as in the tests)")
    args = parser.parse_args()
    gsm = "health_interval = 2\ncommand_timeout = 3\n" if args.fast else ""
    print(f"settings: {'health_interval 2 s, command_timeout 3 s' if args.fast else 'defaults'}"
          " (the SIM swept every 2 s, as in the tests);"
          f" {args.samples} samples each; median (min-max) seconds from the fault\n")
    print(f"{'fault':<48} {'detected':>20} {'recovered (SMS stored)':>26}")
    for name, inject, options in FAULTS:
        samples = [measure(name, inject, gsm, **options) for _ in range(args.samples)]
        print(f"{name:<48} {_spread([s[0] for s in samples]):>20} "
              f"{_spread([s[1] for s in samples]):>26}", flush=True)


def _spread(values: list[float]) -> str:
    return f"{statistics.median(values):.1f} ({min(values):.1f}-{max(values):.1f})"


if __name__ == "__main__":
    main()
