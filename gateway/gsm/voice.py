"""Voice-call and USSD operations on the GSM modem (3GPP TS 27.007): caller ID, answer, hang up,
keypad-tone detection per modem profile, and USSD requests.

Kept apart from links/gsm.py (the SMS operations) so each file stays one job. Every method is
one or two AT commands on the same AtChannel, so they never interleave with an SMS send.
"""

from __future__ import annotations

import logging
import re

from gateway.alerts.phone import normalise_phone
from gateway.at import AtChannel
from gateway.errors import CommandError
from gateway.gsm.profiles import ModemProfile

log = logging.getLogger(__name__)

CLIP = re.compile(r'\+CLIP:\s*"([^"]*)"\s*(?:,\s*(\d+))?')
CUSD = re.compile(r'\+CUSD:\s*(\d+)\s*(?:,\s*"((?:[^"]|"")*)"\s*(?:,\s*(\d+))?)?')
INTERNATIONAL = 145


class ModemVoice:
    def __init__(self, at: AtChannel, profile: ModemProfile | None):
        self.at = at
        self.profile = profile

    @property
    def keypad(self) -> bool:
        """Whether this modem reports keypad tones during a call."""
        return bool(self.profile and self.profile.voice and self.profile.dtmf_value != "none")

    def enable_caller_id(self) -> None:
        self.at.command("AT+CLIP=1")

    def reject(self) -> None:
        """Hang up a ringing call without answering it: the caller is never charged."""
        self.hang_up()

    def answer(self) -> None:
        self.at.command("ATA", timeout=10)

    def hang_up(self) -> None:
        try:
            self.at.command("ATH")
        except CommandError:
            self.at.command("AT+CHUP")  # some modems only end a call this way

    def enable_keypad(self) -> None:
        """Turn on keypad-tone detection with the profile's commands (SIM800: AT+DDET=1)."""
        for command in self.profile.dtmf_enable if self.profile else ():
            self.at.command(command)

    def key_from(self, line: str) -> str | None:
        """The key an unsolicited keypad line reports (`+DTMF: 5`, `+QTONEDET: 53`)."""
        profile = self.profile
        if not self.keypad or profile is None or not line.startswith(profile.dtmf_urc):
            return None
        value = line[len(profile.dtmf_urc):].strip().strip('"')
        if profile.dtmf_value == "ascii":
            return chr(int(value)) if value.isdigit() and 32 <= int(value) < 127 else None
        return value[:1] or None

    def request_ussd(self, code: str) -> None:
        """Send a USSD request; the answer arrives later as an unsolicited +CUSD line."""
        self.at.command(f'AT+CUSD=1,"{code}",15', timeout=15)


def caller_number(line: str, country_code: str) -> str | None:
    """The caller's number from a +CLIP line, in E.164; None when withheld or unreadable."""
    match = CLIP.match(line)
    if match is None or not match.group(1):
        return None
    raw, kind = match.group(1), int(match.group(2) or 0)
    if kind == INTERNATIONAL and not raw.startswith("+"):
        raw = "+" + raw
    return normalise_phone(raw, country_code)


def ussd_text(line: str) -> tuple[int, str] | None:
    """(status, text) of a +CUSD answer; UCS-2 answers (data coding 72) are decoded."""
    match = CUSD.match(line)
    if match is None:
        return None
    status, text, coding = int(match.group(1)), (match.group(2) or "").replace('""', '"'), \
        int(match.group(3) or 15)
    if coding == 72 and re.fullmatch(r"(?:[0-9A-Fa-f]{4})+", text):
        text = bytes.fromhex(text).decode("utf-16-be", "replace")
    return status, text
