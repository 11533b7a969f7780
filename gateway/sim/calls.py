"""A caller on the other side of the simulated modem: rings with caller ID, keys digits, hangs up.

`SimulatedModem.call()` starts one: it rings (RING, +CLIP) every `ring_interval` until the
gateway answers (ATA) or rejects it (ATH / AT+CHUP), or gives up after `max_rings`. Once
answered it keys its digits as +DTMF lines (when detection is on), may drop the line after
some of them (NO CARRIER), and waits for the gateway to hang up. Each call keeps its timings,
so tests and benchmarks can tell how long the caller was connected, and so charged.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field

KEYPAD_WAIT = 2.0  # seconds an answered caller waits for tone detection before keying
HANG_UP_WAIT = 60.0  # an answered caller who keyed everything hangs up after this long


@dataclass
class SimulatedCall:
    number: str
    digits: str = ""
    drop_after: int | None = None  # the caller's line drops after this many keys
    rang_at: float = 0.0
    rings: int = 0
    answered_at: float | None = None
    ended_at: float | None = None
    ended_by: str | None = None  # "gateway" (ATH), "caller" (dropped) or "gave_up" (unanswered)
    keys_sent: str = ""
    changed: threading.Event = field(default_factory=threading.Event, repr=False)

    @property
    def active(self) -> bool:
        return self.ended_at is None

    @property
    def connected_seconds(self) -> float:
        """How long the call was connected (what the caller pays for); 0 if never answered."""
        if self.answered_at is None:
            return 0.0
        return (self.ended_at or time.time()) - self.answered_at

    def answer(self) -> bool:
        if not self.active or self.answered_at is not None:
            return False
        self.answered_at = time.time()
        self.changed.set()
        return True

    def end(self, by: str) -> None:
        if self.active:
            self.ended_at, self.ended_by = time.time(), by
            self.changed.set()


def run_caller(call: SimulatedCall, emit: Callable[[str], None], lock: threading.RLock,
               clip: Callable[[], bool], keypad_on: Callable[[], bool], ring_interval: float,
               max_rings: int, key_interval: float) -> None:
    """The caller's side of one call (runs in its own thread)."""
    call.rang_at = time.time()
    while call.active and call.answered_at is None:
        if call.rings >= max_rings:
            call.end("gave_up")
            return
        with lock:
            emit("RING")
            if clip():
                emit(f'+CLIP: "{call.number}",145,"",0,"",0')
        call.rings += 1
        call.changed.clear()
        call.changed.wait(ring_interval)
    if not call.active:
        return
    deadline = time.time() + KEYPAD_WAIT
    while not keypad_on() and time.time() < deadline and call.active:
        time.sleep(0.05)
    for position, key in enumerate(call.digits):
        if not call.active:
            return
        if call.drop_after is not None and position >= call.drop_after:
            break
        time.sleep(key_interval)
        with lock:
            if call.active and keypad_on():
                emit(f"+DTMF: {key}")
                call.keys_sent += key
    if call.drop_after is not None and call.active:
        with lock:
            call.end("caller")
            emit("NO CARRIER")
        return
    call.changed.clear()
    call.changed.wait(HANG_UP_WAIT)
    if call.active:
        with lock:
            call.end("caller")
            emit("NO CARRIER")
