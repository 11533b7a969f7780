"""What to do when the modem keeps failing: reopen, then a soft reset, then a power-cycle.

Each failed connection (or a running link that stops answering) is counted. The GSM worker
reopens the port and sets the modem up again after every failure; the second failure in a row
sends the modem profile's reset command (AT+CFUN=1,1 on most modems) blind, since a hung
modem may not answer it; when the modem still fails once `reset_wait` has passed (the profile's,
unless `[gsm] reset_wait` says otherwise), the power relay (if wired) cuts its supply for
`[gsm] power_off` seconds. Then the ladder starts again. A SIM that wants a PIN, a port another
program holds, or a command the modem answered with an error, is not counted: only a modem that
does not answer (or cannot be opened) is.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable

from gateway.at import AtChannel
from gateway.errors import CommandError, LinkError, ModemRestarted, PortBusy, SimLocked
from gateway.gsm.config import GsmConfig
from gateway.gsm.power import ModemPower
from gateway.gsm.profiles import find_profile, load_profiles
from gateway.repeats import Repeats
from gateway.timeutil import iso_utc

log = logging.getLogger(__name__)

RESET_AFTER = 2  # failures in a row before the soft reset
DEFAULT_RESET, DEFAULT_RESET_WAIT = ("AT+CFUN=1,1",), 20.0  # a modem no profile matches
NOT_THE_MODEM = (PortBusy, SimLocked, ModemRestarted, CommandError)


class ModemRecovery:
    def __init__(self, gsm: GsmConfig, power: ModemPower | None,
                 clock: Callable[[], float] = time.monotonic):
        self.gsm = gsm
        self.power = power
        self.clock = clock
        self.failures = 0
        self.reset_at: float | None = None
        self.reset_commands: tuple[str, ...] = DEFAULT_RESET
        self.reset_wait = self._reset_wait(DEFAULT_RESET_WAIT)
        self.counts = {"reconnects": 0, "resets": 0, "power_cycles": 0}
        self.last_action: str | None = None
        self._repeats = Repeats(clock=clock)  # what could not be done, said every 10 minutes

    def identified(self, model: str | None) -> None:
        """The modem's model (AT+CGMM) picks the reset command from its profile."""
        profile = find_profile(load_profiles(), model)
        if profile is not None and profile.reset:
            self.reset_commands = profile.reset
            self.reset_wait = self._reset_wait(profile.reset_wait)

    def _reset_wait(self, model_default: float) -> float:
        """`[gsm] reset_wait` when set (a modem slower to boot than its profile says), else the
        model's."""
        return model_default if self.gsm.reset_wait is None else self.gsm.reset_wait

    def connected(self) -> None:
        if self.failures:
            log.info("GSM modem back after %d failure(s)", self.failures)
        self.failures, self.reset_at = 0, None

    def failed(self, error: LinkError) -> str | None:
        """Count a failure and take the next step of the ladder; returns what was done."""
        if isinstance(error, NOT_THE_MODEM):
            return None
        self.failures += 1
        self.counts["reconnects"] += 1
        action = None
        if self.reset_at is None:
            if self.failures >= RESET_AFTER:
                action = self._soft_reset()
        elif self.clock() - self.reset_at >= self.reset_wait:
            action = self._power_cycle()
        if action:
            self.counts[action] += 1
            self.last_action = f"{action.rstrip('s')} at {iso_utc(time.time())}"
        return action

    def _soft_reset(self) -> str | None:
        self.reset_at = self.clock()  # even if it cannot be sent: the relay is next
        channel = AtChannel(self.gsm.port, self.gsm.baudrate, self.gsm.command_timeout)
        try:
            channel.open()
        except LinkError as exc:
            self._say(logging.WARNING, "cannot send the modem a reset", str(exc))
            return None
        try:
            log.warning("GSM modem failed %d times in a row: soft reset (%s)", self.failures,
                        ", ".join(self.reset_commands))
            channel.write_raw("\x1b")
            for command in self.reset_commands:
                channel.write_raw(command + "\r")
                time.sleep(0.5)
        except LinkError as exc:
            log.warning("the reset command could not be written (%s)", exc)
            return None
        finally:
            channel.close()
        return "resets"

    def _power_cycle(self) -> str | None:
        self.failures, self.reset_at = 0, None  # the ladder starts again afterwards
        if self.power is None:
            self._say(logging.ERROR, "GSM modem still fails after a reset and no power relay "
                      "is configured ([gsm] power_pin): a person must power-cycle it")
            return None
        try:
            self.power.cycle(self.gsm.power_off)
        except LinkError as exc:
            log.error("cannot power-cycle the modem: %s", exc)
            return None
        return "power_cycles"

    def _say(self, level: int, what: str, detail: str = "") -> None:
        """Log what could not be done once, then every 10 minutes while it lasts: a modem left
        unplugged climbs the ladder every minute and must not fill the journal."""
        if self._repeats.due(what):
            log.log(level, "%s%s", what, f" ({detail})" if detail else "")
