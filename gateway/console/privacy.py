"""How focal points' identities are shown to people who may not see them in full.

An officer recognises a sender by name and village, and the masked number keeps enough
(country, operator prefix, last two digits) to tell two numbers of one person apart without
giving the number away (`+243 99• ••• •01`).
"""

from __future__ import annotations

DOT = "•"


def mask_phone(phone: str, country_code: str) -> str:
    """`+243991234501` -> `+243 99• ••• •01`: the country code, the first two and last two
    digits of the national number, grouped by three."""
    digits = phone.lstrip("+")
    code = country_code.lstrip("+")
    if not digits.startswith(code) or len(digits) - len(code) < 5:
        code = digits[:3]
    national = digits[len(code):]
    hidden = national[:2] + DOT * (len(national) - 4) + national[-2:]
    groups = [hidden[i:i + 3] for i in range(0, len(hidden), 3)]
    return f"+{code} " + " ".join(groups)


def mask_identity(identity: str, country_code: str) -> str:
    """A phone number masked as above; a callsign or an operator's name by all but its first
    two characters."""
    if identity.startswith("+") and identity[1:].isdigit():
        return mask_phone(identity, country_code)
    return identity[:2] + DOT * max(len(identity) - 2, 2)


def shown_identity(identity: str | None, full: bool, country_code: str) -> str | None:
    """What a page may show of a phone number or callsign: all of it for those allowed."""
    if identity is None:
        return None
    return identity if full else mask_identity(identity, country_code)
