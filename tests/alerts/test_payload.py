"""What leaves the base: pseudonyms, never numbers or names."""

from __future__ import annotations

import datetime as dt

import pytest

from gateway.alerts.codes import load_codebook
from gateway.alerts.payload import alert_payload, encode
from gateway.alerts.pipeline import Pipeline
from gateway.alerts.pseudonym import Pseudonymiser, new_secret
from gateway.alerts.registry_cache import RegistryCache
from gateway.gsm.sms_pdu import decode_deliver
from gateway.sbd.batch import encode_batch, varint
from gateway.sbd.packing import to_sat_alert
from gateway.sim.deliver_pdu import build_deliver_pdus
from gateway.store import alerts as alert_store


def test_pseudonym_is_stable_per_base_and_differs_between_bases():
    secret = new_secret()
    first, again, other = Pseudonymiser(secret), Pseudonymiser(secret), Pseudonymiser(new_secret())
    assert first("+243990000101") == again("+243990000101")
    assert first("+243990000101") != other("+243990000101")
    assert first("+243990000101") != first("+243990000102")
    assert first(None) is None


def test_free_text_loses_numbers_and_names_but_keeps_places_and_codes(registered):
    cache = RegistryCache(registered, load_codebook())
    text = "Kahindo Masika dit: appelez Baraka au 0990 000 102, attaque à Kamango"
    redacted = cache.redact(text)
    assert "Kahindo" not in redacted and "Masika" not in redacted and "Baraka" not in redacted
    assert "0990" not in redacted and "[number]" in redacted
    assert "Kamango" in redacted and "attaque" in redacted


def test_payload_has_pseudonym_and_redacted_text(registered, config):
    pipeline = Pipeline(registered, config, load_codebook())
    when = dt.datetime(2026, 11, 23, 4, 0, tzinfo=dt.UTC)
    pdu = build_deliver_pdus("+243990000101", "2 Kamango Grace Kavira blessée, +243990000103",
                             when)[0]
    alert = pipeline.ingest_sms(decode_deliver(pdu.hex)).alert
    payload = alert_payload(alert, "KWJ", load_codebook(), registered.pseudonymiser(),
                            pipeline.registry.redact)
    flat = str(payload)
    assert "990000101" not in flat and "990000103" not in flat and "Grace" not in flat
    assert payload["sender"] == registered.pseudonymiser()("+243990000101")
    assert payload["id"].startswith("KWJ-") and payload["ref"] == "KWJ-0001"


def _published(pipeline, store, text):
    """What leaves the base for `text` sent by a registered focal point: the MQTT payload and
    the satellite bytes."""
    pdu = build_deliver_pdus("+243990000101", text, dt.datetime(2026, 11, 23, 4, 0,
                                                                tzinfo=dt.UTC))[0]
    alert = pipeline.ingest_sms(decode_deliver(pdu.hex)).alert
    payload = alert_payload(alert, "KWJ", load_codebook(), store.pseudonymiser(),
                            pipeline.registry.redact)
    sat = to_sat_alert(alert, store.pseudonymiser(), pipeline.registry.redact)
    return payload, encode(payload), encode_batch("KWJ", store.instance, [sat])


def test_a_phone_number_is_never_published_as_a_count(registered, config):
    pipeline = Pipeline(registered, config, load_codebook())
    payload, mqtt, satellite = _published(pipeline, registered, "2 Kamango 0990000102 rappelez")
    assert payload["count"] is None and payload["text"] == "[number] rappelez"
    assert b"990000102" not in mqtt
    assert varint(990000102) not in satellite and b"990000102" not in satellite


def test_a_count_stored_by_an_older_version_is_not_published_if_it_is_a_number(registered,
                                                                                config):
    pipeline = Pipeline(registered, config, load_codebook())
    payload, _, _ = _published(pipeline, registered, "2 Kamango 15")
    assert payload["count"] == 15
    registered.db.execute("UPDATE alerts SET count = 990000102")
    alert = alert_store.get(registered.db, 1)
    assert alert_payload(alert, "KWJ", load_codebook(), registered.pseudonymiser(),
                         pipeline.registry.redact)["count"] is None
    assert to_sat_alert(alert, registered.pseudonymiser(), pipeline.registry.redact).count is None


@pytest.mark.parametrize(("text", "leaks"), [
    ("3 Kamango (099) 000 0104 GraceKavira", ["0104", "Grace", "Kavira"]),
    ("3 Kamango Kavyra 099/000/0105", ["Kavyra", "0105"]),
    ("2 Kamango 12 appelez 000103 ou +243/990/000/109", ["000103", "109"]),
    ("9 Nobili BarakaMumbere 0990,000,108", ["Baraka", "Mumbere", "108"]),
])
def test_names_and_numbers_leave_neither_by_mqtt_nor_by_satellite(registered, config, text,
                                                                  leaks):
    pipeline = Pipeline(registered, config, load_codebook())
    payload, mqtt, satellite = _published(pipeline, registered, text)
    for leak in leaks:
        assert leak.encode() not in mqtt and leak.encode() not in satellite
    assert "[name]" in payload["text"] or "[number]" in payload["text"]
