"""Sent and delivered kept apart: what a status report says, matched to its message by
reference and number; long messages delivered only when every part is; silence expires."""

from __future__ import annotations

import pytest

from gateway.gsm.sms_pdu import StatusReport, decode_status_report, encode_submit
from gateway.outreach import compose
from gateway.outreach.delivery import DeliveryDesk, Pacer, verdict, wants_report
from gateway.sim.deliver_pdu import build_status_report
from gateway.store import broadcasts as broadcast_store
from gateway.store import deliveries, outbox
from gateway.workers import Notifier

T = 1.8e9


@pytest.mark.parametrize(("status", "state"), [
    (0x00, "delivered"), (0x01, "delivered"), (0x02, "delivered"), (0x20, "trying"),
    (0x22, "trying"), (0x3F, "trying"), (0x40, "failed"), (0x43, "failed"), (0x46, "expired"),
    (0x49, "failed"), (0x61, "failed"), (0x7F, "failed"), (0xFF, "failed")])
def test_each_status_means_one_thing(status, state):
    assert verdict(status)[0] == state


def test_a_status_report_pdu_reads_back():
    pdu = build_status_report(201, "+243990000101", 0x22)
    assert decode_status_report(pdu) == StatusReport(201, "+243990000101", 0x22)
    assert decode_status_report("0011000C914293") is None  # a SUBMIT, cut short


def test_reports_are_asked_only_for_broadcasts_and_follow_ups():
    first = int(encode_submit("+243990000101", "x", report=True)[0].hex[2:4], 16)
    assert first & 0x20 and not int(encode_submit("+243990000101", "x")[0].hex[2:4], 16) & 0x20
    ack = outbox.OutboxRow(1, "sms", 5, "+243990000101", "KWJ-0005 ...", 0, 0, T)
    follow = outbox.OutboxRow(2, "sms", None, "+243990000101", "KWJ-0005: ...", 4, 0, T)
    assert not wants_report(ack) and wants_report(follow)


def sent(store, config, book, target="zone:north AND channel:sms", **draft):
    """Send a broadcast and pretend the modem took every message, numbering parts 1, 2, ..."""
    row, _ = compose.send(store, config, compose.draft(book, target, **(draft or {"template": 6})),
                          "duty", "cli", now=T)
    desk = DeliveryDesk(store, config, Notifier())
    reference = 0
    for r in broadcast_store.recipients(store.db, row.id):
        message = outbox.due(store.db, "sms", T + 1, limit=1)[0]
        assert message.id == r.outbox_id
        refs = list(range(reference + 1, reference + 1 + r.parts))
        reference += r.parts
        with store.transaction() as db:
            outbox.mark_done(db, message.id, T)
            desk.sent(message, refs, T)
    return row, desk


def states(store, row) -> dict[str, str]:
    return {r.name: r.state for r in broadcast_store.recipients(store.db, row.id)}


def test_sent_then_delivered_failed_or_still_trying_by_reference_and_number(base, book):
    config, store = base
    row, desk = sent(store, config, book)
    assert set(states(store, row).values()) == {"sent"}
    # reference 1 went to Kahindo, 2 to Baraka, 3 to Grace, 4 to Furaha
    assert desk.take([StatusReport(1, "+243990000101", 0x00),
                      StatusReport(2, "+243990000999", 0x00),  # right reference, wrong number
                      StatusReport(3, "+243990000103", 0x43),
                      StatusReport(4, "+243990000106", 0x22)], T + 5) == 3
    assert states(store, row) == {"Kahindo Masika": "delivered", "Baraka Mumbere": "sent",
                                  "Grace Kavira": "failed", "Furaha Sikuli": "sent"}
    reasons = {r.name: r.reason for r in broadcast_store.recipients(store.db, row.id)}
    assert "not obtainable" in reasons["Grace Kavira"]
    assert "keeps trying" in reasons["Furaha Sikuli"]
    # the phone comes back: the network's final word
    desk.take([StatusReport(4, "+243990000106", 0x00)], T + 3600)
    assert states(store, row)["Furaha Sikuli"] == "delivered"


def test_silence_expires_and_a_late_report_still_tells_the_truth(base, book):
    config, store = base
    row, desk = sent(store, config, book)
    lasts = 86400 + 600  # [outreach] validity and report_grace, by default
    with store.transaction() as db:
        assert deliveries.expire_due(db, T + lasts - 1) == []
        assert len(deliveries.expire_due(db, T + lasts + 1)) == 4
    assert set(states(store, row).values()) == {"expired"}
    desk.take([StatusReport(2, "+243990000102", 0x00)], T + lasts + 60)
    assert states(store, row)["Baraka Mumbere"] == "delivered"


def test_a_long_message_is_delivered_when_every_part_is(base, book):
    config, store = base
    row, desk = sent(store, config, book, target="village:47", text="a" * 300)
    assert broadcast_store.recipients(store.db, row.id)[0].parts == 2
    desk.take([StatusReport(2, "+243990000104", 0x00)], T + 5)
    assert states(store, row) == {"Amani Kasereka": "sent"}
    desk.take([StatusReport(1, "+243990000104", 0x00)], T + 6)
    assert states(store, row) == {"Amani Kasereka": "delivered"}


def test_references_wrap_the_newest_message_with_that_number_wins(base, book):
    config, store = base
    first, desk = sent(store, config, book, target="village:47")
    second, _ = sent(store, config, book, target="village:47")  # reference 1 again
    desk.take([StatusReport(1, "+243990000104", 0x00)], T + 5)
    assert states(store, first) == {"Amani Kasereka": "sent"}
    assert states(store, second) == {"Amani Kasereka": "delivered"}


def test_a_message_given_up_by_the_modem_fails_with_the_error(base, book):
    config, store = base
    row, _ = compose.send(store, config, compose.draft(book, "village:47", template=6), "duty",
                          "cli", now=T)
    (recipient,) = broadcast_store.recipients(store.db, row.id)
    with store.transaction() as db:
        outbox.mark_attempt_failed(db, recipient.outbox_id, "+CMS ERROR: 21", T, max_attempts=1)
        assert deliveries.fail_unsent(db, T) == 1
    (recipient,) = broadcast_store.recipients(store.db, row.id)
    assert (recipient.state, recipient.reason) == ("failed", "+CMS ERROR: 21")


def test_broadcasts_are_paced_start_to_start_and_nothing_else_waits():
    pacer = Pacer(0.5)
    message = outbox.OutboxRow(1, "sms", None, "+243990000101", "x", 5, 0, T)
    ack = outbox.OutboxRow(2, "sms", 9, "+243990000101", "x", 0, 0, T)
    assert pacer.wait(message, 10.0) == 0
    pacer.starting(message, 10.0)
    assert pacer.wait(message, 10.2) == pytest.approx(0.3)
    assert pacer.wait(ack, 10.2) == 0 and pacer.wait(message, 10.5) == 0
