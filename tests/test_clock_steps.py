"""A step of the wall clock, back or forward, by minutes or by a day, changes no wait.

The Pi has no real-time clock: its time steps when NTP or the network's time arrives. The real
daemon runs with a wall clock the test steps (gateway/sim/stepped_clock.py) while an
acknowledgement waits for its retry, an alert waits for the broker, and two multipart SMS wait
for their second part: each must go when its own wait is over, measured here on the monotonic
clock."""

from __future__ import annotations

import time

import pytest

from gateway.sim.broker import Broker, free_port
from gateway.sim.deliver_pdu import build_deliver_pdus
from gateway.sim.harness import (
    DaemonProcess,
    link_state,
    query,
    wait_for,
    wait_until_gsm_up,
    write_config,
)
from gateway.sim.stepped_clock import SteppedClock

DAY, TEN_MINUTES = 86400, 600
# both ways and both sizes (tests/test_clock.py takes every combination on the store alone)
STEPS = {"back a day": -DAY, "forward ten minutes": TEN_MINUTES}
SEND_RETRY, MULTIPART_TIMEOUT = 2.0, 3.0
GSM = f"send_retry = {SEND_RETRY}\nmultipart_timeout = {MULTIPART_TIMEOUT}\n"
FOCAL, LONE, PAIRED = "+243990000101", "+243990000102", "+243990000103"
LONG_TEXT = "2 Kamango " + "les hommes armes sont entres par la route du marche " * 4
SLACK = 1.5  # the daemon's turns (1 s) and a loaded machine


@pytest.fixture
def stepped_clock(tmp_path):
    return SteppedClock(tmp_path)


def halves(sender: str, reference: int) -> list[str]:
    pdus = build_deliver_pdus(sender, LONG_TEXT, reference=reference)
    assert len(pdus) == 2
    return [pdu.hex for pdu in pdus]


def messages_from(db, sender: str) -> list[tuple]:
    return query(db, "SELECT parts, partial FROM messages WHERE unseal(sender) = ?", [sender])


def sent_to(modem, number: str) -> list[str]:
    return [sent.text for sent in modem.sent if sent.number == number]


def waited(since: float, probe, timeout: float, what: str) -> float:
    """Seconds from `since` (monotonic) until `probe` holds."""
    wait_for(probe, timeout, interval=0.02, what=what)
    return time.monotonic() - since


@pytest.mark.parametrize("step", STEPS.values(), ids=STEPS.keys())
def test_a_clock_step_neither_stalls_nor_hurries_a_wait(tmp_path, modem, stepped_clock, step):
    port = free_port()
    config = write_config(tmp_path, modem.path, mqtt_port=port, gsm=GSM)
    db = tmp_path / "gateway.db"
    broker = Broker(port=port).start()
    try:
        with DaemonProcess(config, python_args=stepped_clock.python_args()) as daemon:
            wait_until_gsm_up(db, daemon)
            wait_for(lambda: link_state(db, "mqtt").get("state") == "up", 15, what="mqtt up")
            broker.stop()  # the uplink goes down: the alert waits in the outbox
            wait_for(lambda: link_state(db, "mqtt").get("state") == "down", 15,
                     what="mqtt down")
            modem.fail_sends(500, times=1)
            modem.inject_sms(FOCAL, "2 Kamango")
            wait_for(lambda: query(db, "SELECT attempts FROM outbox WHERE destination = 'sms'")
                     == [(1,)], 15, what="the acknowledgement's first attempt to fail")
            failed_at = time.monotonic()
            lone, paired = halves(LONE, 7), halves(PAIRED, 8)
            modem.inject_pdu(lone[0])
            modem.inject_pdu(paired[0])
            wait_for(lambda: query(db, "SELECT COUNT(*) FROM sms_parts") == [(2,)],
                     what="two first halves stored")
            parted_at = time.monotonic()

            stepped_clock.step(step)
            broker.start()
            time.sleep(max(0.0, parted_at + MULTIPART_TIMEOUT / 2 - time.monotonic()))
            modem.inject_pdu(paired[1])  # within its timeout: one whole message

            retried = waited(failed_at, lambda: sent_to(modem, FOCAL), SEND_RETRY + 10,
                             "the acknowledgement sent again")
            flushed = waited(parted_at, lambda: messages_from(db, LONE), MULTIPART_TIMEOUT + 10,
                             "the lone half stored after its timeout")
            wait_for(lambda: query(db, "SELECT state FROM outbox WHERE destination = 'mqtt' AND body IS NULL"
                                       " AND alert_id = 1") == [("done",)], 20,
                     what="the alert delivered once the broker is back")
    finally:
        broker.close()
    assert SEND_RETRY - 0.3 <= retried <= SEND_RETRY + SLACK
    assert MULTIPART_TIMEOUT - 0.3 <= flushed <= MULTIPART_TIMEOUT + SLACK
    assert messages_from(db, LONE) == [(1, 1)]  # what arrived, marked partial
    assert messages_from(db, PAIRED) == [(2, 0)]  # whole: not cut in two by the step
    assert [text[:8] for text in sent_to(modem, FOCAL)] == ["KWJ-0001"]
    assert f"the system clock stepped {'back' if step < 0 else 'forward'}" in daemon.log


def test_a_step_while_the_daemon_was_down_delays_nothing_beyond_the_longest_wait(
        tmp_path, modem, stepped_clock):
    """A day ahead, then stopped, then started with the right time: what the store had due 'in
    a day' goes now, and a half message dated a day ahead waits its timeout from now."""
    port = free_port()
    config = write_config(tmp_path, modem.path, mqtt_port=port, gsm=GSM)
    db = tmp_path / "gateway.db"
    stepped_clock.step(DAY)
    with DaemonProcess(config, python_args=stepped_clock.python_args()) as daemon:
        wait_until_gsm_up(db, daemon)
        modem.inject_sms(FOCAL, "2 Kamango")
        modem.inject_pdu(halves(LONE, 9)[0])
        wait_for(lambda: query(db, "SELECT COUNT(*) FROM sms_parts") == [(1,)]
                 and query(db, "SELECT state FROM outbox WHERE destination = 'mqtt' AND body IS NULL")
                 == [("pending",)], what="the alert waiting and the first half stored")
    stepped_clock.step(-DAY)
    with Broker(port=port), DaemonProcess(config, python_args=stepped_clock.python_args()) as daemon:
        started = time.monotonic()
        wait_until_gsm_up(db, daemon)
        delivered = waited(started, lambda: query(
            db, "SELECT state FROM outbox WHERE destination = 'mqtt' AND body IS NULL") == [("done",)], 20,
            "the alert delivered")
        flushed = waited(started, lambda: messages_from(db, LONE), MULTIPART_TIMEOUT + 15,
                         "the lone half stored")
    assert delivered < 10
    # on time, not a day late: the bound leaves room for a daemon slow to start on a busy machine
    assert MULTIPART_TIMEOUT - 0.3 <= flushed <= MULTIPART_TIMEOUT + 14
