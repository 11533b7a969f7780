"""Phone numbers normalised to E.164, so that one focal point is one number whatever was typed."""

from __future__ import annotations

import re


def normalise_phone(raw: str, country_code: str = "+243") -> str | None:
    """E.164 form of a phone number (`0991234567` -> `+243991234567`), or None if it is not one.

    Accepts spaces, dots, dashes and brackets; a leading `00` is the international prefix; a
    leading single `0` is a national number in the base's country. Alphanumeric senders
    (an operator's "VODACOM") are not phone numbers and give None.
    """
    digits = re.sub(r"[\s().\-/]", "", raw or "")
    if digits.startswith("+"):
        body = digits[1:]
    elif digits.startswith("00"):
        body = digits[2:]
    elif digits.startswith("0"):
        body = country_code.lstrip("+") + digits[1:]
    elif digits.startswith(country_code.lstrip("+")) and len(digits) > 9:
        body = digits
    else:
        body = country_code.lstrip("+") + digits if len(digits) >= 6 else digits
    if not body.isdigit() or not 7 <= len(body) <= 15 or body.startswith("0"):
        return None
    return "+" + body


def sender_key(raw: str | None, country_code: str) -> str | None:
    """The key a sender is stored under: E.164 when it is a number, else the raw address."""
    if not raw:
        return None
    return normalise_phone(raw, country_code) or raw.strip()


def can_reply(sender: str | None) -> bool:
    """An acknowledgement needs a phone number (an operator's 'VODACOM' cannot be answered)."""
    return sender is not None and sender.startswith("+") and sender[1:].isdigit()
