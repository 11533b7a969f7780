"""From a decoded satellite message to the MQTT messages headquarters already knows: each
alert as the alert payload a base publishes (same topic, same fields, same id), and a status
reply as an event.

Headquarters knows a base's code words, severities and village names only from its own copy of
the base's code book and village list (`codes` and `villages` in hq.toml); without a village
list a village travels by number, with `"name": null`.
"""

from __future__ import annotations

import dataclasses
import logging
from dataclasses import dataclass
from typing import TypeVar

from gateway.alerts.codes import CodeBook, load_codebook
from gateway.alerts.payload import alert_payload, encode
from gateway.hq.config import HqConfig
from gateway.hq.store import Delivery
from gateway.sbd.batch import Batch, SatAlert
from gateway.sbd.reply import StatusReply
from gateway.store.alerts import AlertRow
from gateway.store.registry import ImportReport, read_villages
from gateway.timeutil import iso_utc

T = TypeVar("T")

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class BaseBook:
    """What headquarters knows of one base."""

    codebook: CodeBook
    villages: dict[int, str]


def load_books(config: HqConfig) -> tuple[dict[str, BaseBook], BaseBook]:
    """Each configured base's book, and the one for bases not configured (built-in code book,
    no village names)."""
    default = BaseBook(load_codebook(), {})
    books = {}
    for base in config.bases:
        villages: dict[int, str] = {}
        if base.villages is not None:
            report = ImportReport()
            villages = {v.number: v.name for v in read_villages(base.villages, report)}
            for line, error in report.errors:
                log.warning("%s line %d: %s", base.villages, line, error)
        codebook = load_codebook(base.codes) if base.codes else default.codebook
        books[base.id] = BaseBook(codebook, villages)
    return books, default


def _identity(value: T) -> T:
    return value


def alert_row(alert: SatAlert, book: BaseBook, batch: Batch) -> AlertRow:
    """The alert as a base stores it, from what the satellite carried."""
    code = book.codebook.codes.get(alert.code) if alert.code else None
    return AlertRow(
        id=0, uid=batch.alert_id(alert), seq=alert.seq, ref=f"{batch.base}-{alert.seq:04d}",
        message_id=None, channel=alert.channel, code=alert.code,
        category=code.category if code else None,
        severity=code.severity if code else "Unknown", urgency=code.urgency if code else "Unknown",
        village_number=alert.village,
        village_name=book.villages.get(alert.village) if alert.village is not None else None,
        count=alert.count, text=alert.text, sender=alert.sender, registered=alert.registered,
        language=alert.language, parts=alert.parts, repeats=alert.repeats, partial=alert.partial,
        received_at=float(alert.received_at), created_at=float(alert.received_at))


def publications(message: Batch | StatusReply, delivery: Delivery, book: BaseBook,
                 topic_prefix: str) -> list[tuple[str, bytes]]:
    """(topic, payload) for everything in one delivery."""
    satellite = {"imei": delivery.imei, "momsn": delivery.momsn,
                 "transmit_time": delivery.transmit_time}
    prefix = f"{topic_prefix}/{message.base}"
    if isinstance(message, StatusReply):
        return [(f"{prefix}/events", encode({
            "schema": 1, "event": "satellite_status", "base": message.base,
            "time": iso_utc(message.time), "ping_counter": message.counter,
            "signal": message.signal, "credits_used_today": message.credits_used_today,
            "daily_credit_budget": message.daily_credit_budget, "waiting": message.waiting,
            "undelivered": message.undelivered, "last_seq": message.last_seq,
            "links": dict(item.split("=", 1) for item in message.links.split() if "=" in item),
            "broadcasts": [dataclasses.asdict(b) for b in message.broadcasts],
            "via": "satellite", "satellite": satellite}))]
    return [(f"{prefix}/alerts", encode(
        alert_payload(alert_row(alert, book, message), message.base, book.codebook, _identity,
                      _identity)
        | {"via": "satellite", "text_truncated": alert.text_truncated, "satellite": satellite}))
        for alert in message.alerts]
