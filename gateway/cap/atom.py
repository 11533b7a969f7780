"""An Atom feed of CAP 1.2 messages: the index public alert hubs and partners' readers poll.

Each entry is one message (its title the headline, its summary severity, urgency and
certainty) with the whole CAP document as its content. Atom and CAP each are the default
namespace of their own elements, as partners' readers expect: each CAP message is written on
its own and set in its entry's content. Headquarters' feed (gateway/hq/feed.py) and the base
console's (gateway/console/pages/atom.py) both write theirs here.
"""

from __future__ import annotations

import datetime as dt
import xml.etree.ElementTree as ET
from collections.abc import Sequence
from dataclasses import dataclass

from gateway.cap.message import Message, to_element

ATOM = "http://www.w3.org/2005/Atom"
CAP_TYPE = "application/cap+xml"


@dataclass(frozen=True)
class FeedHead:
    feed_id: str  # the feed's permanent id (a URN or a URL)
    title: str
    author: str
    self_link: str | None = None  # where readers fetch it


@dataclass(frozen=True)
class Entry:
    """One entry: its permanent id (a reader replaces an entry it has by a newer one of the same
    id) and the CAP message it holds."""

    entry_id: str
    message: Message


def atom_feed(head: FeedHead, entries: Sequence[Entry], zone: dt.tzinfo, now: float) -> bytes:
    """The feed of `entries`, in the order given; CAP times in `zone`, Atom's in UTC."""
    feed = ET.Element("feed", xmlns=ATOM)
    _add(feed, "id", head.feed_id)
    _add(feed, "title", head.title)
    _add(feed, "updated", _stamp(now))
    _add(_add(feed, "author"), "name", head.author)
    if head.self_link:
        _add(feed, "link", rel="self", href=head.self_link)
    messages: list[bytes] = []
    for entry in entries:
        message = entry.message
        info = message.infos[-1]  # English for partners where the base writes another language
        node = _add(feed, "entry")
        _add(node, "id", entry.entry_id)
        _add(node, "title", info.headline)
        _add(node, "updated", _stamp(message.sent))
        _add(_add(node, "author"), "name", info.sender_name)
        _add(node, "summary", f"{info.event}: severity {info.severity}, urgency {info.urgency},"
                              f" certainty {info.certainty}")
        _add(node, "category", term=info.severity)
        _add(node, "content", type=CAP_TYPE).append(ET.Comment(f"cap {len(messages)}"))
        messages.append(ET.tostring(to_element(message, zone), encoding="utf-8"))
    document = ET.tostring(feed, encoding="utf-8", xml_declaration=True)
    for index, cap in enumerate(messages):  # each a whole element: set where its mark is
        document = document.replace(f"<!--cap {index}-->".encode(), cap, 1)
    return document


def _stamp(timestamp: float) -> str:
    return dt.datetime.fromtimestamp(timestamp, dt.UTC).isoformat(timespec="seconds").replace(
        "+00:00", "Z")


def _add(parent: ET.Element, name: str, text: str | None = None, **attributes: str) -> ET.Element:
    child = ET.SubElement(parent, name, attributes)
    child.text = text
    return child
