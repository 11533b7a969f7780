"""Message -> alert -> acknowledgement and deliveries: the one place where policy lives.

Everything a message causes is written in the transaction that stores it: the raw message,
the alert, the acknowledgement row and the delivery rows. So either all of it survives a power
cut or none of it does, and the caller deletes the SMS from the SIM only afterwards.
"""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Callable
from dataclasses import dataclass

from gateway import features
from gateway.alerts.acks import AckFacts, render_ack
from gateway.alerts.codes import PRIORITY, CodeBook
from gateway.alerts.phone import sender_key
from gateway.alerts.registry_cache import RegistryCache
from gateway.clock import now as clock_now
from gateway.config import Config
from gateway.model import ParsedAlert, SmsPart
from gateway.outreach.config import outreach_settings
from gateway.outreach.intake import OutreachIntake
from gateway.outreach.templates import load_book
from gateway.store import Store, inbox, outbox
from gateway.store import alerts as alert_store
from gateway.store import registry as reg
from gateway.store.inbox import NewMessage
from gateway.timeutil import local_zone
from gateway.triage.intake import Triage

log = logging.getLogger(__name__)

GAP = " [...] "


@dataclass(frozen=True)
class Meaning:
    """What an alert without a code stands for (severity, urgency, category, text)."""

    severity: str
    urgency: str
    category: str | None
    text: str


@dataclass(frozen=True)
class Ingested:
    """What storing one SMS led to."""

    duplicate: bool = False
    waiting_for_parts: bool = False
    alert: alert_store.AlertRow | None = None
    repeat_of: alert_store.AlertRow | None = None  # an exact repeat, folded into this alert


class Pipeline:
    def __init__(self, store: Store, config: Config, codebook: CodeBook,
                 notify: Callable[[str], None] = lambda destination: None,
                 clock: Callable[[], float] = clock_now):
        self.store = store
        self.config = config
        self.codebook = codebook
        self.notify = notify
        self.clock = clock
        self.registry = RegistryCache(store, codebook)
        self.pseudonym = store.pseudonymiser()
        self.zone = local_zone(config.base.timezone)
        self.ack_routes = features.ack_routes(config)
        self.triage = Triage(store, config, self.registry.redact)
        self.outreach = OutreachIntake(
            store, config, load_book(outreach_settings(config).templates),
            lambda text: self.registry.parser.parse(text).code is not None, self.pseudonym)

    # -- SMS ----------------------------------------------------------------------------------
    def ingest_sms(self, part: SmsPart) -> Ingested:
        """Commit one SMS read from the modem. Raises on a store failure: the SMS then stays
        on the SIM and is read again later."""
        return self.ingest_batch([part])[0]

    def ingest_batch(self, parts: list[SmsPart]) -> list[Ingested]:
        """Commit several SMS (a sweep of the SIM) in one transaction: one disk sync for all,
        and all or none of them stored."""
        with self.store.transaction():
            results = [self._ingest(part) for part in parts]
        for result in results:
            if result.alert is not None:
                self.announce(result.alert)
            elif result.repeat_of is not None:
                log.info("%s: an exact repeat from %s folded in", result.repeat_of.ref,
                         self.pseudonym(result.repeat_of.sender))
                self.notify("mqtt")
        return results

    def _ingest(self, part: SmsPart) -> Ingested:
        db = self.store.db
        now = self.clock()
        if inbox.is_known(db, part.fingerprint):
            return Ingested(duplicate=True)
        sender = sender_key(part.sender, self.config.base.country_code)
        if part.is_fragment and part.concat_ref is not None:
            inbox.insert_part(db, part, sender, now)
            group = inbox.open_group(db, sender, part.concat_ref, part.concat_total)
            if len(group) < part.concat_total:
                log.info("SMS part %d/%d from %s stored, waiting for the rest",
                         part.concat_seq, part.concat_total, self.pseudonym(sender))
                return Ingested(waiting_for_parts=True)
            alert = self._assemble(sender, part.concat_ref, part.concat_total, group, False)
        else:
            message = NewMessage("sms", sender, part.text, now, part.modem_time,
                                 fingerprint=part.fingerprint, raw=part.raw_pdu,
                                 decode_error=part.decode_error)
            if self.outreach.take(db, message, now):  # STOP, START, or a broadcast's reply
                return Ingested()
            repeat_of = self.triage.fold_repeat(db, message, now)
            if repeat_of is not None:
                return Ingested(repeat_of=repeat_of)
            alert = self.record_message(message)
        return Ingested(alert=alert)

    def flush_stale_parts(self, timeout: float) -> list[alert_store.AlertRow]:
        """Store what arrived of concatenated messages whose other parts never came."""
        created = []
        with self.store.transaction() as db:
            for sender, ref, total in inbox.stale_groups(db, self.clock() - timeout):
                group = inbox.open_group(db, sender, ref, total)
                log.warning("SMS from %s: only %d of %d parts after %.0f s; storing what arrived",
                            self.pseudonym(sender), len(group), total, timeout)
                created.append(self._assemble(sender, ref, total, group, True))
        for alert in created:
            self.announce(alert)
        return created

    def _assemble(self, sender: str | None, ref: int, total: int, group: list[inbox.PartRow],
                  partial: bool) -> alert_store.AlertRow:
        pieces, expected = [], 1
        for part in group:
            if part.seq != expected:
                pieces.append(GAP)
            pieces.append(part.text)
            expected = part.seq + 1
        if expected <= total:
            pieces.append(GAP)
        text = "".join(pieces).strip()
        alert = self.record_message(NewMessage(
            "sms", sender, text, min(p.received_at for p in group), group[0].modem_time,
            parts=len(group), partial=partial))
        assert alert.message_id is not None  # recorded with its message just above
        inbox.close_group(self.store.db, sender, ref, total, alert.message_id)
        return alert

    # -- any channel --------------------------------------------------------------------------
    def record_message(self, message: NewMessage, parsed: ParsedAlert | None = None,
                       without_code: Meaning | None = None, entered_by: str | None = None,
                       via: str | None = None) -> alert_store.AlertRow:
        """Store a message with its alert, acknowledgement and deliveries. Must run inside
        `store.transaction()`; callers announce the alert after the commit.

        `parsed` replaces the parser (an operator's form); `without_code` gives severity,
        urgency, category and text to an alert that carries no code (a missed call means more
        than an unparsed text); `entered_by` and `via` record who typed a voice alert."""
        db = self.store.db
        now = self.clock()
        message_id = inbox.insert_message(db, message)
        if parsed is None and message.decode_error:
            parsed = ParsedAlert(code=None, text=_unreadable(message))
        elif parsed is None:
            parsed = self.registry.parser.parse(message.text)
        focal = reg.focal_point(self.store, message.sender) if message.sender else None
        village = parsed.village or reg.village(self.store, focal.village if focal else None)
        code = self.codebook.codes.get(parsed.code) if parsed.code else None
        language = (focal.language if focal and focal.language else None) or parsed.language \
            or self.config.base.language
        seq = alert_store.next_seq(db)
        base = self.config.base.id
        meaning = Meaning(code.severity, code.urgency, code.category, parsed.text) if code \
            else (without_code or Meaning("Unknown", "Unknown", None, parsed.text))
        severity = meaning.severity
        alert_id = alert_store.insert(
            db, uid=f"{base}-{self.store.instance}-{seq}", seq=seq, ref=f"{base}-{seq:04d}",
            message_id=message_id, channel=message.channel, code=code.number if code else None,
            category=meaning.category, severity=severity, urgency=meaning.urgency,
            village_number=village.number if village else None,
            village_name=village.name if village else None, count=parsed.count,
            text=meaning.text, sender=message.sender, pseudonym=self.pseudonym(message.sender),
            registered=int(focal is not None),
            language=language, parts=message.parts, partial=int(message.partial),
            received_at=message.received_at, created_at=now, entered_by=entered_by, via=via)
        alert = alert_store.get(db, alert_id)
        assert alert is not None
        filing = self.triage.file(db, alert, now)  # its incident; flood control's decision
        priority = filing.priority(PRIORITY[severity])
        route = self.ack_routes.get(message.channel)
        if filing.acknowledge and route and route.can_reply(message.sender):
            body = render_ack(AckFacts(alert.ref, self._local_time(message.received_at), code,
                                       alert.village_name, call=message.channel == "call"),
                              language)
            outbox.enqueue(db, route.destination, priority, now, alert_id, message.sender,
                           route.adapt(body))
        for uplink in features.uplinks():  # a fallback waits for the primary uplinks first
            delay = uplink.delay(self.config, severity)
            if delay is not None:
                outbox.enqueue(db, uplink.destination, priority, now, alert_id,
                               not_before=now + delay if delay else None)
        return alert

    def announce(self, alert: alert_store.AlertRow) -> None:
        """Log a committed alert and wake the workers that deliver and acknowledge it."""
        what = f"code {alert.code} ({alert.severity})" if alert.code else \
            f"{(alert.category or 'unparsed report').replace('_', ' ')} ({alert.severity})"
        where = f" at {alert.village_name}" if alert.village_name else ""
        log.info("%s from %s (%s%s): %s%s", alert.ref, self.pseudonym(alert.sender),
                 alert.channel, "" if alert.registered else ", unverified", what, where)
        for destination in {*(r.destination for r in self.ack_routes.values()),
                            *features.primary_destinations(), "panel"}:
            self.notify(destination)

    def _local_time(self, when: float) -> str:
        return dt.datetime.fromtimestamp(when, self.zone).strftime("%H:%M")


def _unreadable(message: NewMessage) -> str:
    """How an unreadable message is reported: a radio line as received; an SMS only as
    undecodable, since its PDU holds the sender's number and the text where redaction cannot
    see them (`cangw alerts show` gives it at the base)."""
    if message.channel == "sms":
        return "[undecodable SMS; its PDU is kept at the base]"
    return message.text
