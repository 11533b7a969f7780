"""Text helpers shared by the parser and the acknowledgements: folding and the GSM-7 alphabet."""

from __future__ import annotations

import unicodedata
from collections.abc import Callable

# 3GPP TS 23.038 default alphabet and its extension table (extension characters cost 2 septets).
GSM7_BASIC = (
    "@£$¥èéùìòÇ\nØø\rÅåΔ_ΦΓΛΩΠΨΣΘΞ\x1bÆæßÉ !\"#¤%&'()*+,-./0123456789:;<=>?"
    "¡ABCDEFGHIJKLMNOPQRSTUVWXYZÄÖÑÜ§¿abcdefghijklmnopqrstuvwxyzäöñüà"
)
GSM7_EXTENSION = "^{}\\[~]|€\f"
SMS_SEPTETS = 160


def fold(text: str) -> str:
    """Lower-case and strip accents, so 'Armés', 'ARMES' and 'armes' compare equal."""
    decomposed = unicodedata.normalize("NFKD", text.casefold())
    return "".join(ch for ch in decomposed if not unicodedata.combining(ch))


def gsm7_length(text: str) -> int | None:
    """Septets the text needs in GSM-7, or None when it has a character GSM-7 cannot carry."""
    total = 0
    for ch in text:
        if ch in GSM7_BASIC:
            total += 1
        elif ch in GSM7_EXTENSION:
            total += 2
        else:
            return None
    return total


def to_gsm7(text: str) -> str:
    """Replace what GSM-7 cannot carry with its closest letters ('reçu' -> 'recu').

    An acknowledgement in UCS-2 would fit only 70 characters and cost more; a folded
    letter is still readable on every feature phone.
    """
    return _transliterate(text, lambda ch: ch in GSM7_BASIC or ch in GSM7_EXTENSION)


def to_ascii(text: str) -> str:
    """Plain ASCII for radio links, whose TNCs and displays show nothing else ('reçu' -> 'recu')."""
    return _transliterate(text, lambda ch: ch.isascii())


def _transliterate(text: str, allowed: Callable[[str], bool]) -> str:
    out = []
    for ch in text:
        if allowed(ch):
            out.append(ch)
            continue
        decomposed = unicodedata.normalize("NFKD", ch)
        base = "".join(c for c in decomposed if not unicodedata.combining(c))
        if base and all(allowed(c) for c in base):
            out.append(base)
        else:
            out.append(_FALLBACK.get(ch, "?"))
    return "".join(out)


_FALLBACK = {"’": "'", "‘": "'", "“": '"', "”": '"', "–": "-", "—": "-", "…": "...", "«": '"',
             "»": '"', "\u00a0": " "}
