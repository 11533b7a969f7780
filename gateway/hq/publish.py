"""From a decoded satellite message to the MQTT messages headquarters already knows: each
alert as the alert payload a base publishes (same topic, same fields, same id), and a status
reply as an event; an incident change as the incident payload.

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
from gateway.alerts.payload import SCHEMA_VERSION, alert_payload, encode
from gateway.hq.config import HqConfig
from gateway.hq.store import Delivery
from gateway.sbd.batch import Batch, SatAlert
from gateway.sbd.incident import SatIncident
from gateway.sbd.packed import Message
from gateway.sbd.reply import StatusReply, Wiped
from gateway.store.alerts import AlertRow
from gateway.store.incidents import SEVERITY_ORDER
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
    """Each configured base's book, and the one for a delivery kept before its base's table
    was removed (built-in code book, no village names)."""
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


def alert_row(alert: SatAlert, book: BaseBook, batch: Batch | Message) -> AlertRow:
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


def incident_payload(incident: SatIncident, message: Message, book: BaseBook) -> dict:
    """An incident change as a base publishes it over MQTT (README, "Incident payload"), from
    what the satellite carried; categories come from headquarters' copy of the code book."""
    known = sorted((book.codebook.codes[str(c)] for c in incident.codes
                    if str(c) in book.codebook.codes),
                   key=lambda code: SEVERITY_ORDER.index(code.severity))
    categories = ["silence"] if incident.silence else list(dict.fromkeys(c.category for c in known))
    return {
        "schema": SCHEMA_VERSION, "id": message.incident_id(incident.number),
        "ref": f"{message.base}-I{incident.number:04d}", "base": message.base,
        "version": incident.version, "state": incident.state, "level": incident.level,
        "category": categories[0] if categories else None, "categories": categories,
        "codes": [str(c) for c in incident.codes] + ([None] if incident.other_codes else []),
        "severity": incident.severity, "urgency": incident.urgency,
        "villages": [{"number": v, "name": book.villages.get(v)} for v in incident.villages],
        "zone": incident.zone, "first_report_at": iso_utc(incident.first_at),
        "last_report_at": iso_utc(incident.last_at), "reports": incident.reports,
        "repeats": incident.repeats, "throttled_reports": incident.throttled,
        "corroboration": {
            "senders": incident.senders, "registered_senders": incident.registered_senders,
            "unverified_senders": incident.senders - incident.registered_senders,
            "channels": list(incident.channels),
            "operator_confirmed": incident.operator_confirmed},
        "alerts": None if incident.alerts is None else [
            f"{message.base}-{message.instance}-{seq}" for seq in incident.alerts],
        "merged_into": message.incident_id(incident.merged_into)
        if incident.merged_into is not None else None,
        "updated_at": None, "change": None}


def publications(message: Batch | Message | StatusReply | Wiped, delivery: Delivery,
                 book: BaseBook, topic_prefix: str, earlier: set[str]) -> list[tuple[str, bytes]]:
    """(topic, payload) for everything in one delivery but what an `earlier` one brought
    (ids as gateway.hq.store.message_ids gives them)."""
    satellite = {"imei": delivery.imei, "momsn": delivery.momsn,
                 "transmit_time": delivery.transmit_time}
    prefix = f"{topic_prefix}/{message.base}"
    if isinstance(message, Wiped):  # the same event the base publishes over MQTT
        return [(f"{prefix}/events", encode({
            "schema": 1, "event": "wiped", "base": message.base, "time": iso_utc(message.time),
            "via": "satellite", "satellite": satellite}))]
    if isinstance(message, StatusReply):
        if earlier:
            return []
        return [(f"{prefix}/events", encode({
            "schema": 1, "event": "satellite_status", "base": message.base,
            "time": iso_utc(message.time), "ping_counter": message.counter,
            "signal": message.signal, "credits_used_today": message.credits_used_today,
            "daily_credit_budget": message.daily_credit_budget, "waiting": message.waiting,
            "undelivered": message.undelivered, "last_seq": message.last_seq,
            "links": dict(item.split("=", 1) for item in message.links.split() if "=" in item),
            "broadcasts": [dataclasses.asdict(b) for b in message.broadcasts],
            "via": "satellite", "satellite": satellite}))]
    incident_of: dict[int, str] = {}
    if isinstance(message, Message):
        incident_of = {seq: message.incident_id(i.number) for i in message.incidents
                       for seq in i.alerts or ()}
    return [(f"{prefix}/alerts", encode(
        alert_payload(alert_row(alert, book, message), message.base, book.codebook, _identity,
                      _identity, incident_of.get(alert.seq))
        | {"via": "satellite", "text_truncated": alert.text_truncated, "satellite": satellite}))
        for alert in message.alerts if message.alert_id(alert) not in earlier] + (
        _incidents(message, book, prefix, satellite, earlier)
        if isinstance(message, Message) else [])


def _incidents(message: Message, book: BaseBook, prefix: str, satellite: dict,
               earlier: set[str]) -> list[tuple[str, bytes]]:
    """The incident changes a version 2 message carried, but the versions already published."""
    return [(f"{prefix}/incidents", encode(incident_payload(incident, message, book)
                                           | {"via": "satellite", "satellite": satellite}))
            for incident in message.incidents
            if f"{message.incident_id(incident.number)}-v{incident.version}" not in earlier]
