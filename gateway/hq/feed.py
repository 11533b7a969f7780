"""The CAP Atom feed for partners: every base's current alerts as OASIS CAP 1.2 messages in one
Atom document (the index public alert hubs read), newest first.

Each entry's content is the alert's whole CAP message (gateway/cap/: scope Restricted by
default, the village as its area, its circle where headquarters' village list has
coordinates, `expires` a day on). An alert is current until its message expires; older ones
are left out. Nothing in it names a focal point: the bases send pseudonyms and scrubbed text
only, and CAP carries neither the pseudonym nor the channel's address.

The console serves it (headquarters mode); `alerts_feed` only writes the document, in the
Atom that gateway/cap/atom.py writes for the base console's feed too.
"""

from __future__ import annotations

import datetime as dt
import sqlite3
from collections.abc import Mapping
from dataclasses import dataclass, field

from gateway.cap.alerts import CapContext, alert_message
from gateway.cap.atom import Entry, FeedHead, atom_feed
from gateway.cap.config import CapConfig
from gateway.config import BaseConfig, Config, StoreConfig
from gateway.hq.config import HqConfig
from gateway.hq.publish import BaseBook, load_books
from gateway.hq.views import AlertView, recent_alerts
from gateway.model import Village
from gateway.store.alerts import AlertRow

CURRENT_FOR = 86400.0  # an alert's CAP message expires a day after it was received


@dataclass(frozen=True)
class FeedSettings(FeedHead):
    feed_id: str = "urn:cangw:headquarters:alerts"
    title: str = "Community alert networks: current alerts"
    author: str = "cangw headquarters"
    cap: CapConfig = field(default_factory=CapConfig)


def alert_row(alert: AlertView) -> AlertRow:
    """What CAP needs of an alert, from the JSON the base published (no sender: CAP has none)."""
    payload = alert.payload
    received = alert.received_at or 0.0
    return AlertRow(
        id=0, uid=alert.uid, seq=0, ref=str(payload.get("ref") or alert.uid), message_id=None,
        channel=str(payload.get("channel") or "sms"), code=payload.get("code"),
        category=alert.category, severity=alert.severity or "Unknown",
        urgency=str(payload.get("urgency") or "Unknown"), village_number=alert.village_number,
        village_name=alert.village_name,
        count=payload.get("count") if isinstance(payload.get("count"), int) else None,
        text=str(payload.get("text") or ""), sender=None,
        registered=bool(payload.get("sender_registered")),
        language=str(payload.get("language") or "fr"),
        parts=int(payload.get("parts") or 1), repeats=int(payload.get("repeats") or 1),
        partial=bool(payload.get("partial")), received_at=received, created_at=received)


def _context(config: HqConfig, base: str, book: BaseBook, villages: Mapping[int, Village],
             settings: FeedSettings) -> CapContext:
    entry = config.base(base)
    frame = Config(source=config.source, store=StoreConfig(config.store.path),
                   base=BaseConfig(id=base, name=base, language=entry.language if entry else "fr"))
    return CapContext(frame, settings.cap, book.codebook, villages, lambda text: text,
                      lambda category: CURRENT_FOR)


def alerts_feed(alerts: list[AlertView], config: HqConfig, villages: Mapping[str, Mapping[int, Village]],
              settings: FeedSettings, now: float) -> bytes:
    """The feed of `alerts` (newest first) still current at `now` (gateway/cap/atom.py)."""
    books, default = load_books(config)
    contexts: dict[str, CapContext] = {}
    entries = []
    for alert in alerts:
        if alert.received_at is None or alert.received_at + CURRENT_FOR <= now:
            continue
        context = contexts.get(alert.base) or contexts.setdefault(alert.base, _context(
            config, alert.base, books.get(alert.base, default), villages.get(alert.base, {}), settings))
        message = alert_message(alert_row(alert), context)
        entries.append(Entry(f"urn:cangw:alert:{message.sender}:{message.identifier}", message))
    return atom_feed(settings, entries, dt.UTC, now)


def current_feed(conn: sqlite3.Connection, config: HqConfig,
                 villages: Mapping[str, Mapping[int, Village]], settings: FeedSettings,
                 now: float) -> bytes:
    """The feed of every base's alerts received in the last day, from headquarters' store."""
    return alerts_feed(recent_alerts(conn, now - CURRENT_FOR, limit=1000), config, villages,
                     settings, now)
