"""SIM credit watch: acknowledgements stop silently when the base's prepaid credit runs out.

The operator's balance code is sent by USSD every `interval` (and on request from `cangw modem
balance`); the answer is parsed with `pattern` and kept as the `credit` link row (state ok, low
or unknown, with the balance and the operator's words). Falling below `low` raises an MQTT
`low_credit` event once and lights the panel's credit LED. Acknowledgements that fail with the
errors operators give for an empty account are counted in status beside the credit.
"""

from __future__ import annotations

import json
import logging
import re

from sqlite_utils import Database

from gateway import clock
from gateway.alerts.pipeline import PRIORITY
from gateway.gsm.config import CreditConfig
from gateway.gsm.voice import ModemVoice, ussd_text
from gateway.store import Store, outbox
from gateway.store import links as link_status
from gateway.timeutil import iso_utc

log = logging.getLogger(__name__)

LINK = "credit"
REQUEST_KEY = "credit_check_requested"  # `cangw modem balance` asks the daemon through the store
ANSWER_WAIT = 30.0
# +CMS errors prepaid operators give when an SMS is refused for want of credit (TS 27.005 /
# 24.011 causes): not proof, but with a low balance they explain silent acknowledgements
CREDIT_ERRORS = {21: "short message transfer rejected", 50: "requested facility not subscribed",
                 69: "requested facility not implemented", 500: "unknown error"}


def parse_balance(text: str, pattern: str) -> float | None:
    """The balance in an operator's answer ('Votre solde est de 1 250,50 FC' -> 1250.5)."""
    match = re.search(pattern, text)
    if match is None:
        return None
    raw = re.sub(r"\s", "", match.group("balance")).rstrip(".,")
    if "," in raw and "." in raw:
        raw = raw.replace(",", "") if raw.rfind(".") > raw.rfind(",") else \
            raw.replace(".", "").replace(",", ".")
    elif raw.count(",") == 1 and len(raw.split(",")[1]) != 3:
        raw = raw.replace(",", ".")  # a decimal comma
    else:
        raw = raw.replace(",", "")  # thousands separators
    try:
        return float(raw)
    except ValueError:
        return None


def record_answer(store: Store, config: CreditConfig, base_id: str, text: str | None,
                  error: str | None = None, now: float | None = None) -> str:
    """Keep a balance check's outcome; on the step to `low`, queue one low_credit event."""
    now = clock.now() if now is None else now
    balance = parse_balance(text, config.pattern) if text else None
    state = "unknown" if balance is None else ("low" if balance < config.low else "ok")
    if text and balance is None and error is None:
        error = "the answer does not match [credit] pattern"
    with store.transaction() as db:
        before = link_status.all_links(db).get(LINK, {}).get("state")
        link_status.record(db, LINK, state, balance=balance, threshold=config.low,
                           reply=text, checked_at=iso_utc(now), error=error)
        if state == "low" and before != "low":
            event = {"type": "low_credit", "base": base_id, "balance": balance,
                     "threshold": config.low, "reply": text, "time": iso_utc(now)}
            outbox.enqueue(db, "mqtt", PRIORITY["Moderate"], now,
                           body=json.dumps(event, ensure_ascii=False, separators=(",", ":")))
    if state == "low":
        log.warning("SIM credit low: %s (threshold %s); acknowledgements may stop", balance,
                    config.low)
    elif error:
        log.warning("SIM credit check: %s", error)
    else:
        log.info("SIM credit: %s", balance)
    return state


def sms_failures(db: Database) -> dict:
    """Acknowledgements failing now, and whether the errors look like an empty account."""
    rows = [row for state in ("pending", "failed") for row in db.execute(
        "SELECT last_error FROM outbox WHERE state = ? AND destination = 'sms'"
        " AND last_error IS NOT NULL ORDER BY id", [state]).fetchall()]
    codes = [int(m.group(1)) for (error,) in rows
             if (m := re.search(r"CMS ERROR:\s*(\d+)", error or ""))]
    credit_like = [c for c in codes if c in CREDIT_ERRORS]
    return {"failing": len(rows), "last_error": rows[-1][0] if rows else None,
            "credit_like_errors": len(credit_like)}


class CreditWatch:
    """Runs the periodic and requested checks from the GSM worker's loop."""

    def __init__(self, store: Store, config: CreditConfig, base_id: str, voice: ModemVoice):
        self.store = store
        self.config = config
        self.base_id = base_id
        self.voice = voice
        self._next = 0.0
        self._asked_at: float | None = None

    def tick(self, now: float) -> None:
        if self._asked_at is not None:
            if now - self._asked_at >= ANSWER_WAIT:
                self._asked_at = None
                record_answer(self.store, self.config, self.base_id, None,
                              f"no USSD answer within {ANSWER_WAIT:.0f} s")
            return
        requested = self.store.meta(REQUEST_KEY)
        if now >= self._next or requested:
            if requested:
                with self.store.transaction():
                    self.store.db.execute("DELETE FROM meta WHERE key = ?", [REQUEST_KEY])
            self._next = now + self.config.interval
            self.voice.request_ussd(self.config.ussd)
            self._asked_at = now

    def on_line(self, line: str) -> bool:
        """Take a +CUSD answer; False when the line is not one."""
        answer = ussd_text(line)
        if answer is None:
            return False
        status, text = answer
        self._asked_at = None
        error = None if status in (0, 1) else f"the network refused the USSD request ({status})"
        record_answer(self.store, self.config, self.base_id, text or None, error)
        return True
