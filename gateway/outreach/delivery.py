"""Sent and delivered, kept apart: what the GSM worker records when the network takes a
broadcast message or a follow-up, and what a status report says of it afterwards.

`sent` means the network took the message (+CMGS gave each part a message reference);
`delivered` means a status report says the phone received it (TP-ST 0x00-0x1F, every part);
a report saying the network still tries (0x20-0x3F) changes nothing but the reason; one saying
it gave up fails the message (0x40-0x7F), except 0x46, the validity period over: `expired`.
A message whose report never comes is `expired` when its validity period and
`[outreach] report_grace` are over (the outreach worker looks).

Broadcasts go paced (`[outreach] sms_per_minute`, start to start) and after everything else on
the line: acknowledgements (priority 0-3) first, then follow-ups (4), then broadcasts (5).
"""

from __future__ import annotations

import logging
import time

from gateway.alerts.phone import sender_key
from gateway.config import Config
from gateway.gsm.sms_pdu import StatusReport
from gateway.outreach.compose import BROADCAST_PRIORITY, FOLLOW_UP_PRIORITY
from gateway.outreach.config import outreach_settings
from gateway.store import Store, deliveries
from gateway.store.outbox import OutboxRow
from gateway.workers import Notifier

log = logging.getLogger(__name__)

DELIVERED, TRYING, FAILED, EXPIRED = "delivered", "trying", "failed", "expired"
VALIDITY_OVER = 0x46
# TS 23.040 9.2.3.15: the words for the statuses a base will meet
WORDS = {0x00: "received by the phone", 0x01: "forwarded, delivery not confirmed",
         0x02: "replaced", 0x20: "network congestion", 0x21: "phone busy",
         0x22: "no response from the phone (off or out of coverage)",
         0x23: "service rejected", 0x24: "quality of service not available",
         0x25: "error in the phone", 0x40: "remote procedure error",
         0x41: "incompatible destination", 0x42: "connection rejected by the phone",
         0x43: "number not obtainable", 0x44: "quality of service not available",
         0x45: "no interworking available", 0x46: "validity period expired",
         0x47: "deleted by the sender", 0x48: "deleted by the network's administration",
         0x49: "message does not exist", 0x60: "network congestion", 0x61: "phone busy",
         0x62: "no response from the phone", 0x63: "service rejected",
         0x64: "quality of service not available", 0x65: "error in the phone"}


def verdict(status: int) -> tuple[str, str]:
    """(delivered | trying | failed | expired, the status in words) for a report's TP-ST."""
    words = f"status 0x{status:02x}: {WORDS.get(status, 'no meaning known')}"
    if status <= 0x1F:
        return DELIVERED, words
    if status <= 0x3F:
        return TRYING, words + "; the network keeps trying"
    if status == VALIDITY_OVER:
        return EXPIRED, words
    return FAILED, words


def kind(row: OutboxRow) -> str:
    """What an SMS outbox row is, in a log line's words."""
    if row.priority >= BROADCAST_PRIORITY:
        return "broadcast message"
    if row.priority >= FOLLOW_UP_PRIORITY:
        return "follow-up"
    return "acknowledgement"


def wants_report(row: OutboxRow) -> bool:
    """Broadcast messages and follow-ups ask a status report; acknowledgements do not."""
    return row.priority >= FOLLOW_UP_PRIORITY and row.alert_id is None


class Pacer:
    """Broadcast messages no faster than `sms_per_minute`, start to start; everything else at
    once (it goes first anyway)."""

    def __init__(self, gap: float):
        self.gap = gap
        self._next = 0.0

    def wait(self, row: OutboxRow, now: float) -> float:
        """Seconds before `row` may go (monotonic clock)."""
        return max(0.0, self._next - now) if row.priority >= BROADCAST_PRIORITY else 0.0

    def starting(self, row: OutboxRow, now: float) -> None:
        if row.priority >= BROADCAST_PRIORITY:
            self._next = now + self.gap


class DeliveryDesk:
    """The GSM worker's side: messages the network took, and the reports that come back."""

    def __init__(self, store: Store, config: Config, notifier: Notifier):
        self.store = store
        self.country_code = config.base.country_code
        settings = outreach_settings(config)
        self.validity = settings.validity
        self.lasts = settings.validity + settings.report_grace
        self.notifier = notifier

    def sent(self, row: OutboxRow, references: list[int], now: float) -> None:
        """Inside the transaction that marks `row` done: keep its parts' references."""
        if wants_report(row):
            deliveries.record_sent(self.store.db, row.id, references, now, self.lasts)
            self.notifier("outreach")

    def take(self, reports: list[StatusReport], now: float | None = None) -> int:
        """Commit what status reports say (one transaction); how many matched a message we
        sent. Raises on a store failure: a stored report then stays on the SIM."""
        now = time.time() if now is None else now
        matched = 0
        with self.store.transaction() as db:
            for report in reports:
                number = sender_key(report.recipient, self.country_code)
                part = next((part_id for part_id, recipient in
                             deliveries.candidates(db, report.reference, now)
                             if recipient == number), None)
                if part is None:
                    log.debug("status report for reference %d matches no message we wait for",
                              report.reference)
                    continue
                state, words = verdict(report.status)
                deliveries.record_report(db, part, state, report.status, now,
                                         None if state == DELIVERED else words)
                matched += 1
        if matched:
            self.notifier("outreach")
        return matched
