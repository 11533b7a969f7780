"""Alerts heard by voice (HF radio, a phone call, someone at the gate) and typed by the operator.

Much of what arrives by HF radio is spoken. The operator's form goes through the same store,
outbox and uplink as every other alert, on channel `voice`, with who typed it and how it was
heard; it is the path any later console will use.
"""

from __future__ import annotations

import time
from collections.abc import Callable

from gateway.alerts.codes import CodeBook
from gateway.alerts.payload import MAX_COUNT
from gateway.alerts.phone import sender_key
from gateway.alerts.pipeline import Pipeline
from gateway.config import Config
from gateway.model import ParsedAlert
from gateway.store import Store
from gateway.store import alerts as alert_store
from gateway.store import registry as reg
from gateway.store.inbox import NewMessage

CHANNEL = "voice"
VIA = ("radio", "phone", "in-person", "other")


def record_voice_alert(store: Store, config: Config, codebook: CodeBook, code: str,
                       village: str | None, note: str, via: str, by: str,
                       count: int | None = None, sender: str | None = None,
                       notify: Callable[[str], None] = lambda destination: None
                       ) -> alert_store.AlertRow:
    """Store an operator-entered alert; ValueError names what is wrong with the form."""
    if code not in codebook.codes:
        raise ValueError(f"unknown code {code!r}; the codes are {', '.join(sorted(codebook.codes))}")
    if via not in VIA:
        raise ValueError(f"--via must be one of {', '.join(VIA)}")
    if not by.strip():
        raise ValueError("--by: the operator's name is needed")
    if count is not None and not 0 <= count <= MAX_COUNT:
        raise ValueError(f"--count: a number of people, 0 to {MAX_COUNT}")
    place = reg.find_village(store, village) if village else None
    if village and place is None:
        raise ValueError(f"unknown village {village!r} (cangw village list)")
    who = sender_key(sender, config.base.country_code) if sender else None
    pipeline = Pipeline(store, config, codebook, notify)
    summary = f"[{via}, entered by {by.strip()}] code {code}" + \
        (f" at {place.name}" if place else "") + (f": {note}" if note else "")
    with store.transaction():
        alert = pipeline.record_message(
            NewMessage(CHANNEL, who, summary, time.time()),
            parsed=ParsedAlert(code=code, village=place, count=count, text=note.strip()),
            entered_by=by.strip(), via=via)
    pipeline.announce(alert)
    return alert
