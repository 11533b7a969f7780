"""A CAP 1.2 message and its XML, written with the standard library's ElementTree.

The element order is the schema's (OASIS CAP-v1.2.xsd): `references` before `info`, and within
`info` the order below. Times carry the base's explicit offset, never `Z` (the schema's pattern
wants `+hh:mm`). Nothing here knows about focal points: callers hand over only what may leave
the base.
"""

from __future__ import annotations

import datetime as dt
import re
import xml.etree.ElementTree as ET
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

NAMESPACE = "urn:oasis:names:tc:emergency:cap:1.2"
# characters XML 1.0 cannot carry (an SMS may hold an ESC): replaced, or the document is broken
NOT_XML = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff]")
ET.register_namespace("", NAMESPACE)


@dataclass(frozen=True)
class Area:
    """A place an alert is about: a village by name, with a circle when it has coordinates."""

    description: str
    lat: float | None = None
    lon: float | None = None
    radius_km: float = 5.0


@dataclass(frozen=True)
class Info:
    language: str
    category: str  # a CAP category: Security, Safety, Other...
    event: str
    urgency: str
    severity: str
    certainty: str
    sender_name: str
    headline: str
    description: str
    areas: Sequence[Area]
    expires: float | None = None
    effective: float | None = None
    response: str | None = None  # a CAP responseType (AllClear once it is over)
    event_codes: Mapping[str, str] = field(default_factory=dict)
    parameters: Mapping[str, str] = field(default_factory=dict)


@dataclass(frozen=True)
class Reference:
    """An earlier message this one updates or cancels."""

    sender: str
    identifier: str
    sent: float


@dataclass(frozen=True)
class Message:
    identifier: str
    sender: str
    sent: float
    infos: Sequence[Info]
    status: str = "Actual"
    msg_type: str = "Alert"  # Alert, Update or Cancel
    scope: str = "Restricted"
    restriction: str | None = None
    note: str | None = None
    references: Sequence[Reference] = ()
    incidents: str | None = None


def cap_time(timestamp: float, zone: dt.tzinfo) -> str:
    """`2026-12-01T23:07:57+02:00`: seconds, with the base's offset written out."""
    moment = dt.datetime.fromtimestamp(int(timestamp), zone).isoformat(timespec="seconds")
    return moment.replace("Z", "+00:00") if moment.endswith("Z") else moment


def to_element(message: Message, zone: dt.tzinfo) -> ET.Element:
    root = ET.Element(_tag("alert"))
    _add(root, "identifier", message.identifier)
    _add(root, "sender", message.sender)
    _add(root, "sent", cap_time(message.sent, zone))
    _add(root, "status", message.status)
    _add(root, "msgType", message.msg_type)
    _add(root, "scope", message.scope)
    if message.restriction is not None and message.scope == "Restricted":
        _add(root, "restriction", message.restriction)
    if message.note:
        _add(root, "note", message.note)
    if message.references:
        _add(root, "references", " ".join(
            f"{ref.sender},{ref.identifier},{cap_time(ref.sent, zone)}"
            for ref in message.references))
    if message.incidents:
        _add(root, "incidents", message.incidents)
    for info in message.infos:
        _add_info(root, info, zone)
    return root


def to_bytes(message: Message, zone: dt.tzinfo) -> bytes:
    """The message as a UTF-8 XML document."""
    return ET.tostring(to_element(message, zone), encoding="utf-8", xml_declaration=True)


def _add_info(root: ET.Element, info: Info, zone: dt.tzinfo) -> None:
    node = ET.SubElement(root, _tag("info"))
    _add(node, "language", info.language)
    _add(node, "category", info.category)
    _add(node, "event", info.event)
    if info.response:
        _add(node, "responseType", info.response)
    _add(node, "urgency", info.urgency)
    _add(node, "severity", info.severity)
    _add(node, "certainty", info.certainty)
    for name, value in info.event_codes.items():
        code = ET.SubElement(node, _tag("eventCode"))
        _add(code, "valueName", name)
        _add(code, "value", value)
    if info.effective is not None:
        _add(node, "effective", cap_time(info.effective, zone))
    if info.expires is not None:
        _add(node, "expires", cap_time(info.expires, zone))
    _add(node, "senderName", info.sender_name)
    _add(node, "headline", info.headline[:160])
    _add(node, "description", info.description)
    for name, value in info.parameters.items():
        parameter = ET.SubElement(node, _tag("parameter"))
        _add(parameter, "valueName", name)
        _add(parameter, "value", value)
    for area in info.areas:
        place = ET.SubElement(node, _tag("area"))
        _add(place, "areaDesc", area.description)
        if area.lat is not None and area.lon is not None:
            _add(place, "circle", f"{area.lat:.5f},{area.lon:.5f} {area.radius_km:g}")


def _add(parent: ET.Element, name: str, text: str) -> ET.Element:
    child = ET.SubElement(parent, _tag(name))
    child.text = NOT_XML.sub("\N{REPLACEMENT CHARACTER}", text)
    return child


def _tag(name: str) -> str:
    return f"{{{NAMESPACE}}}{name}"
