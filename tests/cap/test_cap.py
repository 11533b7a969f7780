"""CAP 1.2: every alert becomes a message valid against OASIS's schema, with the base's offset,
restricted scope, the village as its area, and nothing that identifies a focal point."""

from __future__ import annotations

import datetime as dt
import re

import pytest
from click.testing import CliRunner
from lxml import etree

from gateway.alerts.pipeline import Pipeline
from gateway.alerts.registry_cache import RegistryCache
from gateway.cap.alerts import CapContext, alert_message
from gateway.cap.message import Message, Reference, cap_time, to_bytes, to_element
from gateway.cli import cli
from gateway.config import load_config
from gateway.model import Village
from gateway.sim.harness import write_config
from gateway.store import alerts as alert_store
from gateway.store import registry as reg
from gateway.store.inbox import NewMessage
from gateway.timeutil import local_zone
from tests.cap.schema import NS, SCHEMA

WHEN = dt.datetime(2026, 11, 30, 3, 12, tzinfo=dt.UTC).timestamp()
REPORTS = [  # sender, channel, text
    ("+243990000101", "sms", "alerte 2 kamango 15 hommes armés, appelez Kahindo au 0990000101"),
    ("+243990000102", "sms", "kodi 1 mutwanga"),
    ("+243990000777", "sms", "les gens de Nobili fuient vers la route,\x1b Grace Kavira a vu"),
    ("+243990000103", "sms", "code 0 kasindi"),
]


@pytest.fixture
def config(tmp_path):
    return load_config(write_config(tmp_path))


@pytest.fixture
def stored(registered, config, codebook):
    reg.save_village(registered, Village(12, "Kamango", ("Kamangu",), lat=0.6537, lon=29.8953))
    pipeline = Pipeline(registered, config, codebook, clock=lambda: WHEN)
    with registered.transaction():
        for sender, channel, text in REPORTS:
            pipeline.record_message(NewMessage(channel, sender, text, WHEN))
    return registered


def context(store, config, codebook):
    return CapContext(config, config.cap_settings, codebook,
                      {v.number: v for v in reg.villages(store)},
                      RegistryCache(store, codebook).redact, lambda category: 3 * 3600.0)


def test_every_alert_is_a_valid_cap_message(stored, config, codebook):
    alerts = alert_store.recent(stored.db, limit=None)
    assert len(alerts) == len(REPORTS)
    for alert in alerts:
        document = etree.fromstring(to_bytes(alert_message(alert, context(stored, config,
                                                                          codebook)),
                                             local_zone(config.base.timezone)))
        SCHEMA.assertValid(document)
        assert document.findtext("cap:scope", namespaces=NS) == "Restricted"
        assert document.findtext("cap:restriction", namespaces=NS)
        assert re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\+02:00",
                            document.findtext("cap:sent", namespaces=NS))
        assert document.findtext("cap:identifier", namespaces=NS) == alert.uid
        languages = document.xpath("cap:info/cap:language/text()", namespaces=NS)
        assert languages == ["fr", "en"]  # the base's language, and English for partners


def test_the_attack_at_kamango_carries_its_circle_severity_and_expiry(stored, config, codebook):
    attack = next(a for a in alert_store.recent(stored.db, limit=None) if a.code == "2")
    document = to_element(alert_message(attack, context(stored, config, codebook)),
                          local_zone(config.base.timezone))
    info = document.find("cap:info", NS)
    assert info.findtext("cap:severity", namespaces=NS) == "Extreme"
    assert info.findtext("cap:urgency", namespaces=NS) == "Immediate"
    assert info.findtext("cap:certainty", namespaces=NS) == "Likely"  # one registered sender
    assert info.findtext("cap:category", namespaces=NS) == "Security"
    assert info.findtext("cap:area/cap:areaDesc", namespaces=NS) == "Kamango"
    assert info.findtext("cap:area/cap:circle", namespaces=NS) == "0.65370,29.89530 5"
    assert info.findtext("cap:expires", namespaces=NS) == cap_time(
        WHEN + 3 * 3600, local_zone(config.base.timezone))
    parameters = {p.findtext("cap:valueName", namespaces=NS): p.findtext("cap:value", namespaces=NS)
                  for p in info.findall("cap:parameter", NS)}
    assert parameters["people"] == "15" and parameters["reference"] == attack.ref


def test_no_field_identifies_a_focal_point(stored, config, codebook):
    pseudonym = stored.pseudonymiser()
    text = b"".join(to_bytes(alert_message(a, context(stored, config, codebook)),
                             local_zone(config.base.timezone))
                    for a in alert_store.recent(stored.db, limit=None)).decode()
    for sender, _, _ in REPORTS:
        assert sender not in text and sender[4:] not in text and "0" + sender[4:] not in text
        assert pseudonym(sender) not in text
    for name in ("Kahindo", "Grace", "Kavira", "Baraka"):
        assert name not in text


def test_a_test_code_is_a_test_message_and_an_unparsed_report_is_unknown(stored, config,
                                                                          codebook):
    by_code = {a.code: a for a in alert_store.recent(stored.db, limit=None)}
    test = to_element(alert_message(by_code["0"], context(stored, config, codebook)),
                      local_zone(config.base.timezone))
    assert test.findtext("cap:status", namespaces=NS) == "Test"
    unparsed = to_element(alert_message(by_code[None], context(stored, config, codebook)),
                          local_zone(config.base.timezone))
    assert unparsed.findtext("cap:info/cap:certainty", namespaces=NS) == "Unknown"
    assert unparsed.findtext("cap:info/cap:severity", namespaces=NS) == "Unknown"


def test_updates_and_cancels_reference_earlier_messages_before_their_info(stored, config,
                                                                         codebook):
    zone = local_zone(config.base.timezone)
    first = alert_message(alert_store.recent(stored.db, limit=1)[0],
                          context(stored, config, codebook))
    earlier = Reference(first.sender, first.identifier, first.sent)
    for kind in ("Update", "Cancel"):
        later = Message(f"{first.identifier}-2", first.sender, first.sent + 600, first.infos,
                        msg_type=kind, references=[earlier], restriction=first.restriction)
        document = etree.fromstring(to_bytes(later, zone))
        SCHEMA.assertValid(document)
        names = [etree.QName(child).localname for child in document]
        assert names.index("references") < names.index("info")
        assert document.findtext("cap:references", namespaces=NS) == \
            f"{first.sender},{first.identifier},{cap_time(first.sent, zone)}"
    # the schema itself enforces that order: references after info is refused
    document = etree.fromstring(to_bytes(later, zone))
    references = document.find("cap:references", NS)
    document.remove(references)
    document.append(references)
    assert not SCHEMA.validate(document)


def test_a_z_time_is_refused_by_the_schema(stored, config, codebook):
    message = alert_message(alert_store.recent(stored.db, limit=1)[0],
                            context(stored, config, codebook))
    document = etree.fromstring(to_bytes(message, dt.UTC))
    assert document.findtext("cap:sent", namespaces=NS).endswith("+00:00")
    SCHEMA.assertValid(document)
    document.find("cap:sent", NS).text = "2026-11-30T03:12:00Z"
    assert not SCHEMA.validate(document)


def test_cangw_export_cap_to_files_and_as_a_stream(stored, config, tmp_path):
    runner = CliRunner()
    folder = tmp_path / "cap"
    result = runner.invoke(cli, ["-c", str(config.source), "export", "cap", "--to", str(folder)])
    assert result.exit_code == 0, result.output
    files = sorted(folder.glob("*.xml"))
    assert len(files) == len(REPORTS)
    for path in files:
        SCHEMA.assertValid(etree.parse(str(path)))
    streamed = runner.invoke(cli, ["-c", str(config.source), "export", "cap"])
    assert streamed.exit_code == 0
    documents = [d for d in streamed.stdout_bytes.split(b"<?xml") if d.strip()]
    assert len(documents) == len(REPORTS)
    for document in documents:
        SCHEMA.assertValid(etree.fromstring(b"<?xml" + document))
