"""Radio callsigns in one canonical form, so that one HF station is one identity however typed.

AX.25 addresses are up to six letters or digits and an SSID from 0 to 15 (`9Q2KAM-1`). The
same form carries the numeric selcall addresses of HF transceivers (`1234`). SSID 0 is
written without a suffix, as direwolf and every TNC print it.
"""

from __future__ import annotations

import re

CALL = re.compile(r"[A-Z0-9]{1,6}")
CALLSIGN = re.compile(rf"({CALL.pattern})(?:-(1[0-5]|[0-9]))?")


def normalise_callsign(raw: str | None) -> str | None:
    """`9q2kam-01` -> `9Q2KAM-1`, `UNBASE-0` -> `UNBASE`; None when it is not a callsign."""
    text = (raw or "").strip().upper()
    match = CALLSIGN.fullmatch(re.sub(r"-0+(?=\d)", "-", text))
    if match is None:
        return None
    call, ssid = match.group(1), int(match.group(2) or 0)
    return f"{call}-{ssid}" if ssid else call


def is_station(sender: str | None) -> bool:
    """A radio acknowledgement needs a callsign or selcall address (`9Q2KAM-1`, `1234`)."""
    return sender is not None and normalise_callsign(sender) == sender
