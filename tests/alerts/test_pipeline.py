"""Message -> alert -> acknowledgement and deliveries, in one transaction."""

from __future__ import annotations

import datetime as dt

import pytest

from gateway.alerts.pipeline import Pipeline
from gateway.config import load_config
from gateway.gsm.sms_pdu import decode_deliver
from gateway.sim.deliver_pdu import build_deliver_pdus
from gateway.sim.harness import write_config

WHEN = dt.datetime(2026, 11, 23, 4, 0, tzinfo=dt.UTC)


class Clock:
    def __init__(self, now: float = 1_795_000_000.0):
        self.now = now

    def __call__(self) -> float:
        return self.now


@pytest.fixture
def clock():
    return Clock()


@pytest.fixture
def pipeline(tmp_path, registered, codebook, clock):
    config = load_config(write_config(tmp_path, mqtt_port=1883))
    woken = []
    made = Pipeline(registered, config, codebook, notify=woken.append, clock=clock)
    made.woken = woken
    return made


def parts(sender, text, reference=1):
    return [decode_deliver(p.hex) for p in build_deliver_pdus(sender, text, WHEN,
                                                              reference=reference)]


def outbox_rows(store):
    """The rows an alert causes (its incident's rows are tested in tests/triage)."""
    return store.db.execute("SELECT destination, recipient, body, priority FROM outbox"
                            " WHERE recipient IS NOT 'incidents' ORDER BY id").fetchall()


def test_registered_sender_gets_alert_ack_in_their_language_and_delivery(pipeline, registered):
    (part,) = parts("+243990000102", "hatari 2")
    result = pipeline.ingest_sms(part)
    alert = result.alert
    assert (alert.ref, alert.code, alert.severity, alert.language) == ("KWJ-0001", "2", "Extreme", "sw")
    assert alert.village_name == "Mutwanga"  # from the registry: the message named no village
    assert alert.registered
    sms, mqtt = outbox_rows(registered)
    assert sms[0] == "sms" and sms[1] == "+243990000102" and sms[3] == 0
    assert sms[2].startswith("KWJ-0001 Taarifa imepokelewa: Shambulio linaendelea (kodi 2) katika Mutwanga")
    assert mqtt == ("mqtt", None, None, 0)
    assert {"sms", "mqtt"} <= set(pipeline.woken)


def test_unknown_sender_is_accepted_unverified_and_answered_in_base_language(pipeline, registered):
    (part,) = parts("+243997770001", "ils tirent partout, venez vite")
    alert = pipeline.ingest_sms(part).alert
    assert alert.code is None and alert.severity == "Unknown" and not alert.registered
    assert alert.text == "ils tirent partout, venez vite"
    sms = outbox_rows(registered)[0]
    assert sms[2].startswith("KWJ-0001 Message recu") and sms[3] == 1  # unparsed travels as Severe


def test_same_sms_read_twice_is_one_alert(pipeline, registered):
    (part,) = parts("+243990000101", "2 Kamango")
    assert pipeline.ingest_sms(part).alert is not None
    again = pipeline.ingest_sms(decode_deliver(build_deliver_pdus("+243990000101", "2 Kamango",
                                                                  WHEN)[0].hex))
    assert again.duplicate
    assert registered.db.execute("SELECT COUNT(*) FROM alerts").fetchone() == (1,)
    assert len(outbox_rows(registered)) == 2


def test_multipart_reassembled_in_any_order(pipeline, registered):
    text = "ALERTE 4 Kamango " + "les maisons brûlent, ça continue près du marché. " * 3
    first, second, third, *rest = parts("+243990000101", text, reference=9)
    assert not rest
    assert pipeline.ingest_sms(third).waiting_for_parts
    assert pipeline.ingest_sms(first).waiting_for_parts
    assert pipeline.ingest_sms(third).duplicate  # the same part read again
    alert = pipeline.ingest_sms(second).alert
    assert alert.code == "4" and alert.parts == 3 and not alert.partial
    message = registered.db.execute("SELECT text, parts FROM messages").fetchone()
    assert message == (text.strip(), 3)
    assert registered.db.execute("SELECT COUNT(*) FROM sms_parts WHERE message_id IS NULL"
                                 ).fetchone() == (0,)


def test_parts_that_never_complete_are_stored_after_the_timeout(pipeline, registered, clock):
    text = "2 Kamango " + "x" * 400
    first, _second, third = parts("+243990000101", text, reference=3)
    pipeline.ingest_sms(first)
    pipeline.ingest_sms(third)
    assert pipeline.flush_stale_parts(timeout=600) == []  # not yet
    clock.now += 601
    (alert,) = pipeline.flush_stale_parts(timeout=600)
    assert alert.partial and alert.parts == 2 and alert.code == "2"
    stored = registered.db.execute("SELECT text, partial FROM messages").fetchone()
    assert "[...]" in stored[0] and stored[1] == 1
    assert pipeline.flush_stale_parts(timeout=600) == []


def test_undecodable_pdu_is_stored_and_reported_without_an_ack(pipeline, registered):
    alert = pipeline.ingest_sms(decode_deliver("07914293090000100")).alert
    assert alert.code is None and alert.text.startswith("[undecodable SMS")
    raw, error = registered.db.execute("SELECT raw, decode_error FROM messages").fetchone()
    assert raw == "07914293090000100" and error
    assert [row[0] for row in outbox_rows(registered)] == ["mqtt"]


def test_an_undecodable_pdu_does_not_carry_its_sender_or_text_out_of_the_base(pipeline,
                                                                               registered):
    """A PDU holds the sender's number (digits swapped in pairs) and the text packed in
    septets, where redaction cannot see them: it stays in the store."""
    pdu = build_deliver_pdus("+243990000101", "Grace Kavira 2 Kamango", WHEN)[0].hex
    assert "429309001010" in pdu  # +243990000101
    broken = pdu[:16] + "44" + pdu[18:]  # says a header precedes the text, and none does
    alert = pipeline.ingest_sms(decode_deliver(broken)).alert
    assert alert.text == "[undecodable SMS; its PDU is kept at the base]"
    assert registered.db.execute("SELECT raw FROM messages").fetchone() == (broken,)


def test_an_impossible_multipart_header_keeps_its_sender_and_is_answered(pipeline, registered):
    first = build_deliver_pdus("+243990000101", "2 Kamango " + "x" * 200, WHEN, reference=4)[0]
    header = first.hex.index("050003") + 8
    claims_5_of_3 = first.hex[:header] + "0305" + first.hex[header + 4:]
    alert = pipeline.ingest_sms(decode_deliver(claims_5_of_3)).alert
    assert (alert.sender, alert.code, alert.village_name, alert.parts) == \
        ("+243990000101", "2", "Kamango", 1)
    assert "PDU" not in alert.text and alert.text.startswith("xxx")
    assert [row[0] for row in outbox_rows(registered)] == ["sms", "mqtt"]


def test_operator_message_is_kept_but_not_answered(pipeline, registered):
    (part,) = parts("VODACOM", "Votre forfait expire demain")
    alert = pipeline.ingest_sms(part).alert
    assert alert.sender == "VODACOM" and alert.code is None
    assert [row[0] for row in outbox_rows(registered)] == ["mqtt"]


def test_national_number_is_stored_in_e164(pipeline, registered):
    (part,) = parts("0990000101", "9")  # as some networks present a local sender
    alert = pipeline.ingest_sms(part).alert
    assert alert.sender == "+243990000101" and alert.registered


def test_store_failure_leaves_nothing_half_written(pipeline, registered, monkeypatch):
    from gateway.store import outbox

    def broken(*args, **kwargs):
        raise OSError("disk full")

    monkeypatch.setattr(outbox, "enqueue", broken)
    (part,) = parts("+243990000101", "2 Kamango")
    with pytest.raises(OSError):
        pipeline.ingest_sms(part)
    for table in ("messages", "alerts", "outbox"):
        assert registered.db.execute(f"SELECT COUNT(*) FROM {table}").fetchone() == (0,)


def test_registry_changes_are_seen_without_restart(pipeline, registered):
    from gateway.model import Village
    from gateway.store import registry as reg

    (part,) = parts("+243997770001", "2 Lubero")
    assert pipeline.ingest_sms(part).alert.village_name is None
    reg.save_village(registered, Village(90, "Lubero"))
    (part,) = parts("+243997770001", "2 Lubero centre")
    assert pipeline.ingest_sms(part).alert.village_name == "Lubero"
