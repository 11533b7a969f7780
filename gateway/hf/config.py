"""The `[hf]` section: the radio's port and mode (KISS TNC or a text-mode radio), the base's
callsign, and how much the base may transmit."""

from __future__ import annotations

import re
import string
from dataclasses import dataclass
from typing import Literal

from gateway.checks import BAUD_RATES, DEVICE, SERIAL_SPEED
from gateway.hf.callsign import normalise_callsign

# "SENDER: text", or a TNC's monitor line "SENDER>DEST,PATH:text"; see firmware-config/hf-radios.md
DEFAULT_LINE_PATTERN = (r"^\s*(?P<sender>[A-Za-z0-9]{1,6}(?:-[0-9]{1,2})?)(?:>[^:\s]*)?\s*:"
                        r"\s*(?P<text>.*?)\s*$")


@dataclass(frozen=True)
class HfConfig:
    port: str
    callsign: str
    mode: Literal["kiss", "text"] = "kiss"
    baudrate: int = 9600
    kiss_port: int = 0
    frames_per_minute: int = 4
    repeat_window: float = 120.0
    line_pattern: str = DEFAULT_LINE_PATTERN
    ignore_pattern: str | None = None
    ack_command: str | None = None

    def check(self) -> list[tuple[str, str]]:
        problems = []
        if not self.port.strip():
            problems.append(("port", DEVICE + " or 'socket://host:8001' (a KISS TCP TNC)"))
        if self.baudrate not in BAUD_RATES:
            problems.append(("baudrate", SERIAL_SPEED))
        if normalise_callsign(self.callsign) != self.callsign:
            problems.append(("callsign", "a callsign in capitals such as 'UNBASE' or 'UNBASE-1' "
                                         "(up to 6 letters or digits, SSID 1 to 15)"))
        if not 0 <= self.kiss_port <= 15:
            problems.append(("kiss_port", "a TNC port number from 0 to 15"))
        if self.frames_per_minute < 0:
            problems.append(("frames_per_minute", "0 (never transmit) or more"))
        if self.repeat_window < 0:
            problems.append(("repeat_window", "0 or more (seconds)"))
        pattern = _regex(self.line_pattern)
        if pattern is None or not {"sender", "text"} <= set(pattern.groupindex):
            problems.append(("line_pattern", "a regular expression with groups (?P<sender>...) "
                                             "and (?P<text>...)"))
        if self.ignore_pattern is not None and _regex(self.ignore_pattern) is None:
            problems.append(("ignore_pattern", "a regular expression"))
        if self.ack_command is not None and (
                self.mode != "text" or not _placeholders(self.ack_command) <= {"sender", "text"}):
            problems.append(("ack_command", "with mode = 'text', a command using only {sender} "
                                            "and {text}"))
        return problems

    @property
    def acknowledges(self) -> bool:
        """Whether acknowledgements go back over the radio (a text-mode radio needs a command)."""
        return self.frames_per_minute > 0 and (self.mode == "kiss" or self.ack_command is not None)


def _regex(pattern: str) -> re.Pattern | None:
    try:
        return re.compile(pattern)
    except re.error:
        return None


def _placeholders(template: str) -> set[str]:
    try:
        return {name for _, name, _, _ in string.Formatter().parse(template) if name is not None}
    except ValueError:
        return {"(unbalanced braces)"}
