"""Alerts that cost the caller nothing: missed calls and keypad codes.

A missed call ("flash") is rejected at once, so the caller is never charged, and recorded as an
alert on channel `call`: what it means is the focal point's own (`call_meaning`, e.g. "1") or
the base's default (an alert without details: call them back). Flashes from one number within
`fold_window` fold into the open alert with a count that raises its urgency. A focal point
allowed to key in a code is answered instead: keys are collected until '#' or a timeout and
parsed with the same grammar as SMS; a line dropped mid-code is kept as a partial report.

Driven by the GSM worker: `on_line` for unsolicited lines, `tick` once a loop for timeouts,
both with the monotonic time (a call's timers must not follow a step of the wall clock; the
alert records the wall-clock time of the first ring). Calls are reported on every RING: one
call is handled once.
"""

from __future__ import annotations

import logging
import math
import re
from dataclasses import dataclass, field

from sqlite_utils import Database

from gateway.alerts.pipeline import PRIORITY, Meaning, Pipeline
from gateway.gsm.config import CallsConfig
from gateway.gsm.voice import ModemVoice, caller_number
from gateway.model import FocalPoint, ParsedAlert
from gateway.store import alerts as alert_store
from gateway.store import outbox
from gateway.store import registry as reg
from gateway.store.inbox import NewMessage

log = logging.getLogger(__name__)

CHANNEL = "call"
MISSED = "missed call"  # the stored message text of every missed call (what folding matches)
NO_DETAILS = "missed call: alert without details, call back"
WITHOUT_CODE = Meaning("Severe", "Immediate", "missed_call", NO_DETAILS)
CLIP_WAIT = 2.0  # seconds after RING to wait for the caller's number
RING_GAP = 8.0  # no RING for this long: the caller gave up
ECHO_GAP = 1.5  # a RING the modem had queued before our hang-up is not a second call
URGENCY_STEPS = ("Future", "Expected", "Immediate")
_FOLDED = re.compile(r" \(called \d+ times in \d+ min\)$")


@dataclass
class _Call:
    first_ring: float  # monotonic, as last_ring and keypad_until
    last_ring: float
    received_at: float  # wall clock: what the alert records
    number: str | None = None
    handled: bool = False
    keypad_until: float | None = None
    keys: list[str] = field(default_factory=list)


class CallHandler:
    def __init__(self, pipeline: Pipeline, voice: ModemVoice, settings: CallsConfig):
        self.pipeline = pipeline
        self.voice = voice
        self.settings = settings
        self.call: _Call | None = None
        self._rejected: tuple[str | None, float] = (None, -math.inf)

    # -- events -------------------------------------------------------------------------------
    def on_line(self, line: str, now: float) -> bool:
        """Handle one unsolicited line; False when it is not about a call."""
        if line == "RING" or line.startswith("+CRING"):
            self._ring(now)
        elif line.startswith("+CLIP:"):
            call = self._ring(now)
            if call.number is None:
                call.number = caller_number(line, self.pipeline.config.base.country_code)
            if not call.handled:
                self._handle(call, now)
        elif line.startswith(("NO CARRIER", "BUSY")):
            self._ended(now)
        else:
            key = self.voice.key_from(line)
            if key is None:
                return False
            self._key(key, now)
        return True

    def tick(self, now: float) -> None:
        call = self.call
        if call is None:
            return
        if call.keypad_until is not None and now >= call.keypad_until:
            log.info("keypad call from %s: no '#' within %.0f s; hanging up",
                     self.pipeline.pseudonym(call.number), self.settings.keypad_timeout)
            self.voice.hang_up()
            self._finish_keypad(call, now, complete=False)
        elif not call.handled and now - call.first_ring >= CLIP_WAIT:
            self._handle(call, now)  # no caller ID came: a withheld number
        elif call.handled and call.keypad_until is None and now - call.last_ring >= RING_GAP:
            self.call = None

    def _ring(self, now: float) -> _Call:
        if self.call is None:
            self.call = _Call(first_ring=now, last_ring=now, received_at=self.pipeline.clock())
        self.call.last_ring = now
        return self.call

    def _handle(self, call: _Call, now: float) -> None:
        call.handled = True
        if not self.settings.enabled:
            return
        rejected_number, rejected_at = self._rejected
        if call.number is not None and call.number == rejected_number \
                and now - rejected_at < ECHO_GAP:
            self.voice.reject()  # the tail of the call just rejected
            self.call = None
            return
        focal = reg.focal_point(self.pipeline.store, call.number) if call.number else None
        if self._may_key_in(focal):
            self.voice.answer()
            self.voice.enable_keypad()
            call.keypad_until = now + self.settings.keypad_timeout
            log.info("call from %s answered for a keypad code",
                     self.pipeline.pseudonym(call.number))
            return
        self.voice.reject()
        self._rejected = (call.number, now)
        log.info("missed call from %s rejected after %.1f s", self.pipeline.pseudonym(call.number),
                 now - call.first_ring)
        self.call = None
        self.record_missed(call.number, call.received_at, focal)

    def _may_key_in(self, focal: FocalPoint | None) -> bool:
        if focal is None or not self.voice.keypad or self.settings.keypad == "off":
            return False
        return self.settings.keypad == "registered" or focal.keypad

    def _key(self, key: str, now: float) -> None:
        call = self.call
        if call is None or call.keypad_until is None:
            return
        call.keys.append(key)
        if key == "#":
            self.voice.hang_up()
            self._finish_keypad(call, now, complete=True)

    def _ended(self, now: float) -> None:
        call, self.call = self.call, None
        if call is not None and call.keypad_until is not None:
            log.warning("keypad call from %s dropped after %d key(s); keeping what came",
                        self.pipeline.pseudonym(call.number), len(call.keys))
            self._finish_keypad(call, now, complete=False)

    # -- records ------------------------------------------------------------------------------
    def _finish_keypad(self, call: _Call, now: float, complete: bool) -> None:
        self.call = None
        keys = "".join(call.keys)
        if not keys.strip("#"):
            focal = reg.focal_point(self.pipeline.store, call.number) if call.number else None
            self.record_missed(call.number, call.received_at, focal)
            return
        with self.pipeline.store.transaction():
            alert = self.pipeline.record_message(
                NewMessage(CHANNEL, call.number, keys, call.received_at, partial=not complete))
        self.pipeline.announce(alert)

    def record_missed(self, number: str | None, when: float, focal: FocalPoint | None) -> None:
        """Record a missed call, or fold it into the caller's open missed-call alert."""
        if focal is None and self.settings.unknown_callers == "ignore":
            log.info("missed call from an unregistered number ignored (unknown_callers)")
            return
        pipeline = self.pipeline
        with pipeline.store.transaction() as db:
            open_alert = alert_store.recent_copy(db, CHANNEL, number, MISSED, when,
                                                 self.settings.fold_window) \
                if number else None
            if open_alert is not None:
                self._fold(db, open_alert, when)
                alert = None
            else:
                meaning = (focal.call_meaning if focal else None) \
                    or self.settings.missed_call_meaning
                parsed = pipeline.registry.parser.parse(meaning) if meaning \
                    else ParsedAlert(code=None)
                alert = pipeline.record_message(NewMessage(CHANNEL, number, MISSED, when),
                                                parsed=parsed, without_code=WITHOUT_CODE)
        if alert is not None:
            pipeline.announce(alert)
        else:
            for destination in ("mqtt", "panel"):
                pipeline.notify(destination)

    def _fold(self, db: Database, alert: alert_store.AlertRow, when: float) -> None:
        calls = alert.repeats + 1
        minutes = max(1, math.ceil((when - alert.received_at) / 60))
        urgency = _raised(alert.urgency)
        text = f"{_FOLDED.sub('', alert.text)} (called {calls} times in {minutes} min)".strip()
        alert_store.fold_call(db, alert.id, urgency, text)
        if self.pipeline.config.mqtt is not None:  # headquarters sees the count: same id
            outbox.enqueue(db, "mqtt", PRIORITY[alert.severity], self.pipeline.clock(), alert.id)
        log.info("%s: call %d from %s folded in (%s)", alert.ref, calls,
                 self.pipeline.pseudonym(alert.sender), urgency)


def _raised(urgency: str) -> str:
    """One step more urgent: a caller who flashes again is more worried, not less."""
    if urgency not in URGENCY_STEPS:
        return "Immediate"
    return URGENCY_STEPS[min(len(URGENCY_STEPS) - 1, URGENCY_STEPS.index(urgency) + 1)]
