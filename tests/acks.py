"""The acknowledgements the tests expect, built from the templates in gateway/alerts/acks.py,
so that a change of wording is made there, once (the second one, when an alert is seen, is
`gateway.alerts.seen.seen_text`)."""

from __future__ import annotations

import functools
import re

from gateway.alerts.acks import AckFacts, render_ack
from gateway.alerts.codes import CodeBook, load_codebook
from gateway.alerts.text import to_ascii

_TIME = "00:00"  # the time of receipt, unknown to a test: as long as a real one, so it fits alike


@functools.cache
def _codebook() -> CodeBook:
    return load_codebook()


def expected_ack(ref: str, language: str, code: str | None = None, village: str | None = None,
                 call: bool = False, radio: bool = False) -> re.Pattern[str]:
    """The acknowledgement of alert `ref`, matching any time of receipt; `radio`: in plain
    ASCII, as it goes over HF. Use `.fullmatch(text)` (or `.match` where more follows)."""
    code_entry = _codebook().codes[code] if code else None
    text = render_ack(AckFacts(ref, _TIME, code_entry, village, call), language)
    before, _, after = (to_ascii(text) if radio else text).partition(_TIME)
    return re.compile(re.escape(before) + r"\d\d:\d\d" + re.escape(after))
