"""The CAP Atom feed for partners: every base's current alerts as OASIS CAP 1.2 messages in one
Atom document (the index public alert hubs read), newest first.

Each entry's content is the alert's whole CAP message (gateway/cap/: scope Restricted by
default, the village as its area, its circle where headquarters' village list has
coordinates, `expires` a day on). An alert is current until its message expires; older ones
are left out. Nothing in it names a focal point: the bases send pseudonyms and scrubbed text
only, and CAP carries neither the pseudonym nor the channel's address.

The console serves it (headquarters mode); `atom_feed` only writes the document.
"""

from __future__ import annotations

import datetime as dt
import sqlite3
import xml.etree.ElementTree as ET
from collections.abc import Mapping
from dataclasses import dataclass, field

from gateway.cap.alerts import CapContext, alert_message
from gateway.cap.config import CapConfig
from gateway.cap.message import to_element
from gateway.config import BaseConfig, Config, StoreConfig
from gateway.hq.config import HqConfig
from gateway.hq.publish import BaseBook, load_books
from gateway.hq.views import AlertView, recent_alerts
from gateway.model import Village
from gateway.store.alerts import AlertRow

ATOM = "http://www.w3.org/2005/Atom"
CAP_TYPE = "application/cap+xml"
CURRENT_FOR = 86400.0  # an alert's CAP message expires a day after it was received


@dataclass(frozen=True)
class FeedSettings:
    feed_id: str = "urn:cangw:headquarters:alerts"  # the feed's permanent id (a URL will do)
    title: str = "Community alert networks: current alerts"
    author: str = "cangw headquarters"
    self_link: str | None = None  # where partners fetch it
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


def _stamp(timestamp: float) -> str:
    return dt.datetime.fromtimestamp(timestamp, dt.UTC).isoformat(timespec="seconds").replace("+00:00", "Z")


def _add(parent: ET.Element, name: str, text: str | None = None, **attributes: str) -> ET.Element:
    child = ET.SubElement(parent, name, attributes)
    child.text = text
    return child


def atom_feed(alerts: list[AlertView], config: HqConfig, villages: Mapping[str, Mapping[int, Village]],
              settings: FeedSettings, now: float) -> bytes:
    """The feed of `alerts` (newest first) still current at `now`.

    Atom and CAP each are the default namespace of their own elements, as partners' readers
    expect: each CAP message is written on its own and set in its entry's content."""
    books, default = load_books(config)
    feed = ET.Element("feed", xmlns=ATOM)
    _add(feed, "id", settings.feed_id)
    _add(feed, "title", settings.title)
    _add(feed, "updated", _stamp(now))
    _add(_add(feed, "author"), "name", settings.author)
    if settings.self_link:
        _add(feed, "link", rel="self", href=settings.self_link)
    contexts: dict[str, CapContext] = {}
    messages: list[bytes] = []
    for alert in alerts:
        if alert.received_at is None or alert.received_at + CURRENT_FOR <= now:
            continue
        context = contexts.get(alert.base) or contexts.setdefault(alert.base, _context(
            config, alert.base, books.get(alert.base, default), villages.get(alert.base, {}), settings))
        message = alert_message(alert_row(alert), context)
        info = message.infos[-1]  # English for partners where the base writes another language
        entry = _add(feed, "entry")
        _add(entry, "id", f"urn:cangw:alert:{message.sender}:{message.identifier}")
        _add(entry, "title", info.headline)
        _add(entry, "updated", _stamp(message.sent))
        _add(_add(entry, "author"), "name", info.sender_name)
        _add(entry, "summary", f"{info.event}: severity {info.severity}, urgency {info.urgency},"
                               f" certainty {info.certainty}")
        _add(entry, "category", term=info.severity)
        _add(entry, "content", type=CAP_TYPE).append(ET.Comment(f"cap {len(messages)}"))
        messages.append(ET.tostring(to_element(message, dt.UTC), encoding="utf-8"))
    document = ET.tostring(feed, encoding="utf-8", xml_declaration=True)
    for index, cap in enumerate(messages):  # each a whole element: set where its mark is
        document = document.replace(f"<!--cap {index}-->".encode(), cap, 1)
    return document


def current_feed(conn: sqlite3.Connection, config: HqConfig,
                 villages: Mapping[str, Mapping[int, Village]], settings: FeedSettings,
                 now: float) -> bytes:
    """The feed of every base's alerts received in the last day, from headquarters' store."""
    return atom_feed(recent_alerts(conn, now - CURRENT_FOR, limit=1000), config, villages,
                     settings, now)
