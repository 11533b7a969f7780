"""What the wipe erases on the SIM card: its SMS (`AT+CMGD=1,4`) and its phonebook entries.

The SIM travels with the modem and can be read in any phone: messages not yet deleted (the
gateway deletes each once stored, but a crash or a full store leaves some) carry senders and
texts in clear, and a phonebook someone filled by hand carries names and numbers.
"""

from __future__ import annotations

import re

from gateway.errors import CommandError
from gateway.gsm.config import GsmConfig
from gateway.gsm.modem import GsmModem

MEMORIES = ("SM", "ME", "MT")  # SIM, modem, both: whichever the modem stores SMS in
PHONEBOOKS = ("SM", "ME")
RANGE = re.compile(r"\((\d+)-(\d+)\)")


def empty_sim(config: GsmConfig) -> str:
    """Delete every SMS and phonebook entry; a summary of what was done (no identity)."""
    modem = GsmModem(config)
    modem.open()
    try:
        emptied = _delete_messages(modem)
        entries = _clear_phonebooks(modem)
    finally:
        modem.close()
    return f"SMS deleted from {', '.join(emptied) or 'no storage'}; {entries}"


def _delete_messages(modem: GsmModem) -> list[str]:
    offered = " ".join(modem.at.command("AT+CPMS=?"))
    emptied = []
    for memory in (m for m in MEMORIES if f'"{m}"' in offered):
        modem.at.command(f'AT+CPMS="{memory}","{memory}","{memory}"')
        modem.at.command("AT+CMGD=1,4")
        emptied.append(memory)
    return emptied


def _clear_phonebooks(modem: GsmModem) -> str:
    try:
        offered = " ".join(modem.at.command("AT+CPBS=?"))
    except CommandError:
        return "no phonebook on this modem"
    deleted = 0
    for book in (b for b in PHONEBOOKS if f'"{b}"' in offered):
        modem.at.command(f'AT+CPBS="{book}"')
        limits = RANGE.search(" ".join(modem.at.command("AT+CPBR=?")))
        if limits is None:
            continue
        try:
            listing = modem.at.command(f"AT+CPBR={limits.group(1)},{limits.group(2)}",
                                       timeout=30)
        except CommandError:  # an empty phonebook answers "not found" on some modems
            continue
        for index in (int(m.group(1)) for line in listing
                      if (m := re.match(r"\+CPBR:\s*(\d+)", line))):
            modem.at.command(f"AT+CPBW={index}")
            deleted += 1
    return f"{deleted} phonebook entr{'y' if deleted == 1 else 'ies'} deleted"
