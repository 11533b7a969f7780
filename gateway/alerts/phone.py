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


# Digit groups joined the way people type numbers: '099 000 0104', '(099) 000-0104',
# '099/000/0105', '099_000_0106', '0990,000,108', '+243/990/000/109'. A comma joins only
# without a space, so that a list of counts ('12, 15, 30') stays a list.
_DIGIT_RUN = re.compile(r"(?:\+\s*|\(\s*)?\d+(?:(?:[\s./_\-()]{1,3}|,)\d+)*")
_GROUP = re.compile(r"\d+")
# a date, perhaps with the hour after it, is not a number to hide: 23/11/2026, 23.11.26 14h30,
# 2026-11-23 (only as a whole run: a date-shaped piece of a longer number is part of it)
_DAY, _MONTH, _YEAR = r"(?:0?[1-9]|[12]\d|3[01])", r"(?:0?[1-9]|1[0-2])", r"(?:19|20)\d\d"
_DATE = re.compile(rf"(?:{_DAY}([/.-]){_MONTH}\1(?:{_YEAR}|\d\d)|{_YEAR}([/.-]){_MONTH}\2{_DAY})"
                   r"(?:\s+\d{1,4})?")
NUMBER_DIGITS = 9  # a national number without its leading 0 (DRC, Uganda, Rwanda, ...)
PREFIXED_DIGITS = 7  # after '+' or '00' there is no doubt
MAX_COUNT_DIGITS = 4  # a group this short may be a count typed just before a number
FRAGMENT_DIGITS = 5  # the end of a registered number, typed alone ('000101')


def phone_spans(text: str, fragments: frozenset[str] = frozenset()) -> list[tuple[int, int]]:
    """Where `text` holds a phone number (or the final `fragments` of a registered one),
    across the separators people type. A short group set apart by a space before a number
    ('3 0990000102', '3 099 000 0104') or after one ('0990000102 3') is a count, not part of
    it; a date is not a number."""
    spans = []
    for run in _DIGIT_RUN.finditer(text):
        span = _number_in_run(text, run, fragments)
        if span is not None:
            spans.append(span)
    return spans


def _number_in_run(text: str, run: re.Match, fragments: frozenset[str]) -> tuple[int, int] | None:
    if len(run.group()) < (FRAGMENT_DIGITS if fragments else PREFIXED_DIGITS):
        return None  # too few digits to be anything (most runs: a code, a count, a time)
    if _DATE.fullmatch(run.group()):
        return None
    groups = [(run.start() + m.start(), run.start() + m.end()) for m in _GROUP.finditer(run.group())]
    digits = [text[a:b] for a, b in groups]
    prefixed = run.group()[0] in "+(" or re.match(r"00[1-9]", digits[0]) is not None

    def number(i: int, j: int) -> bool:
        size = sum(map(len, digits[i:j]))
        return size >= NUMBER_DIGITS or (i == 0 and prefixed and size >= PREFIXED_DIGITS)

    found = [(i, j) for i in range(len(groups)) for j in range(i + 1, len(groups) + 1)
             if number(i, j) or "".join(digits[i:j]) in fragments] \
        if fragments or number(0, len(groups)) else []
    if not found:
        return None
    first, last = min(i for i, _ in found), max(j for _, j in found)
    while last - first > 1 and not (first == 0 and prefixed) and number(first + 1, last) \
            and _count_beside(digits[first], text[groups[first][1]:groups[first + 1][0]], "(") \
            and (last - first == 2 or digits[first + 1].startswith("0")):
        first += 1
    while last - first == 2 and number(first, last - 1) \
            and _count_beside(digits[last - 1], text[groups[last - 2][1]:groups[last - 1][0]], ""):
        last -= 1
    start = run.start() if first == 0 else groups[first][0] - (text[groups[first][0] - 1] == "(")
    return start, groups[last - 1][1]


def _count_beside(group: str, between: str, opening: str) -> bool:
    """Whether a group of digits may be a count typed beside a number: at most four digits,
    and only spaces (and an `opening` bracket) between them."""
    return len(group) <= MAX_COUNT_DIGITS and bool(between) and between.strip() in ("", opening)


def number_fragments(phones: list[str]) -> frozenset[str]:
    """The final digits of registered numbers that identify them when typed alone."""
    return frozenset(digits[-size:] for phone in phones
                     for digits in [re.sub(r"\D", "", phone)]
                     for size in range(FRAGMENT_DIGITS, NUMBER_DIGITS))
