"""The GSM worker recovers from each modem fault by itself, against the simulated modem."""

from __future__ import annotations

import json
import logging
import time

import pytest
from click.testing import CliRunner
from gpiozero.pins.mock import MockFactory

from gateway.at import AtChannel
from gateway.cli import cli
from gateway.config import load_config
from gateway.errors import LinkError, PortBusy
from gateway.gsm.recovery import RESET_AFTER, ModemRecovery
from gateway.sim.gsm_modem import SimulatedModem
from gateway.sim.harness import gsm_worker as run_gsm_worker
from gateway.sim.harness import link_state, query, wait_for, write_config
from gateway.sim.modem_faults import follow_relay
from tests.waiting import wait_for_turns

FAST = "health_interval = 2\ncommand_timeout = 3\nreconnect_cap = 1\n"
# a hung modem is given up on sooner: each reopen of it tries 'AT' for 1 s, four times
LADDER = "health_interval = 1\ncommand_timeout = 1\nreconnect_cap = 1\n"
PHONE = "+243990000101"


def gsm_worker(tmp_path, port: str, gsm: str = FAST, pin_factory=None):
    return run_gsm_worker(tmp_path, port, gsm, pin_factory)


def _link(tmp_path) -> dict:
    return link_state(tmp_path / "gateway.db", "gsm") or {"state": None}


def _state(tmp_path, wanted: str, timeout: float = 40) -> dict:
    return wait_for(lambda: (info := _link(tmp_path))["state"] == wanted and info,
                    timeout=timeout, interval=0.1, what=f"gsm {wanted}")


def _alerts(tmp_path) -> list[str]:
    return [row[0] for row in query(tmp_path / "gateway.db",
                                    "SELECT unseal(text) FROM messages ORDER BY id")]


def _received(tmp_path, modem, text: str) -> None:
    modem.inject_sms(PHONE, text)
    wait_for(lambda: text in _alerts(tmp_path), timeout=20, what=f"{text!r} stored")


def test_a_modem_that_restarts_by_itself_is_found_and_set_up_again(tmp_path, modem):
    with gsm_worker(tmp_path, modem.path):
        _state(tmp_path, "up")
        modem.hang("power")  # a brown-out: it falls silent...
        hung = time.monotonic()
        down = _state(tmp_path, "down", timeout=30)
        assert time.monotonic() - hung < 30
        assert "does not answer" in down["error"] or "no reply" in down["error"]
        modem.power(False)  # ...and restarts once its supply recovers, after it was found
        modem.power(True)
        _state(tmp_path, "up")
        assert modem.state.cnmi == (2, 1, 0, 1, 0)  # set up again after the restart (+CDS too)
        _received(tmp_path, modem, "2 Kamango after the restart")


def test_a_hung_modem_gets_a_soft_reset(tmp_path, modem):
    with gsm_worker(tmp_path, modem.path, LADDER):
        _state(tmp_path, "up")
        modem.hang("reset")
        _state(tmp_path, "down")
        up = _state(tmp_path, "up", timeout=60)
        assert up["resets"] == 1 and up["power_cycles"] == 0
        assert any(kind == "boot" for _, kind, _ in modem.events)
        _received(tmp_path, modem, "3 Mutwanga after the reset")


def test_a_dead_modem_is_power_cycled_through_the_relay(tmp_path, modem):
    factory = MockFactory()
    pin = factory.pin(5)
    unwire = follow_relay(modem, pin)
    try:
        # the relay's turn comes 1 s after the reset, and it cuts the power for half a second
        gsm = LADDER + "power_pin = 5\nreset_wait = 1\npower_off = 0.5\n"
        with gsm_worker(tmp_path, modem.path, gsm, factory):
            _state(tmp_path, "up")
            modem.hang("power")
            up = _state(tmp_path, "down") and _state(tmp_path, "up", timeout=120)
            assert up["power_cycles"] == 1 and up["resets"] == 1
            seen = [detail for _, kind, detail in modem.events if kind == "power"]
            assert seen == [False, True]  # cut, then restored
            assert pin.state == 0  # the relay rests again
            _received(tmp_path, modem, "4 Nobili after the power-cycle")
    finally:
        unwire()


def test_unplugged_modem_is_reopened_under_its_stable_name_and_the_sim_read(tmp_path):
    link = tmp_path / "cangw-gsm"
    with SimulatedModem(link=link) as modem, gsm_worker(tmp_path, str(link)) as worker:
        _state(tmp_path, "up")
        modem.unplug()
        _state(tmp_path, "down")
        modem.inject_sms(PHONE, "6 Kasindi while unplugged")
        wait_for(lambda: worker.recovery.counts["reconnects"] >= 2, timeout=20,
                 what="a reopen that finds no port")
        modem.replug()
        _state(tmp_path, "up")
        wait_for(lambda: "6 Kasindi while unplugged" in _alerts(tmp_path), timeout=20,
                 what="the SMS that arrived meanwhile")
        with pytest.raises(PortBusy):  # the daemon holds the port again, exclusively
            AtChannel(str(link)).open()


def test_full_sim_without_notifications_is_drained_by_the_fallback_poll(tmp_path):
    with SimulatedModem(capacity=3) as modem, gsm_worker(tmp_path, modem.path):
        _state(tmp_path, "up")
        modem.notifications(False)
        texts = [f"1 Kamango report {n}" for n in range(8)]
        for text in texts:
            modem.inject_sms(PHONE, text)
        wait_for(lambda: sorted(_alerts(tmp_path)) == sorted(texts), timeout=40,
                 what="all eight messages")
        wait_for(lambda: modem.stored == {}, timeout=10, what="each deleted after its commit")


@pytest.mark.filterwarnings("ignore::pytest.PytestUnhandledThreadExceptionWarning")
def test_reader_thread_death_restarts_the_link(tmp_path, modem):
    with gsm_worker(tmp_path, modem.path) as worker:
        _state(tmp_path, "up")
        channel = worker.modem.at

        def die(line):
            raise SystemExit  # not an Exception: the reader's guard cannot catch it

        channel._handle_line = die
        modem.inject_sms(PHONE, "2 Kamango to a dead reader")
        wait_for(lambda: worker.modem is not None and worker.modem.at is not channel,
                 timeout=30, what="a new AT channel")
        wait_for(lambda: "2 Kamango to a dead reader" in _alerts(tmp_path), timeout=20,
                 what="the SMS read after the restart")


def test_no_network_holds_sends_but_not_receiving(tmp_path, modem):
    with gsm_worker(tmp_path, modem.path) as worker:
        _state(tmp_path, "up")
        modem.set_network(registration=0, signal=99)
        _state(tmp_path, "no_network", timeout=10)  # +CREG tells at once
        _received(tmp_path, modem, "2 Kamango without network")
        wait_for_turns(worker, 3)  # each turn sends what is due, network allowing
        assert modem.sent == []
        pending = query(tmp_path / "gateway.db",
                        "SELECT state, attempts FROM outbox WHERE destination = 'sms'")
        assert pending == [("pending", 0)]
        modem.set_network(registration=1, signal=20)
        wait_for(lambda: modem.sent, timeout=30, what="the acknowledgement once registered")
        assert modem.sent[0].text.startswith("KWJ-0001")


def test_failed_sends_back_off_give_up_and_are_retried_by_hand(tmp_path, modem):
    gsm = FAST + "send_attempts = 3\nsend_retry = 0.3\n"
    with gsm_worker(tmp_path, modem.path, gsm):
        _state(tmp_path, "up")
        modem.fail_sends(500, times=2)
        _received(tmp_path, modem, "2 Kamango first")
        wait_for(lambda: modem.sent, timeout=20, what="the third attempt to go through")
        db = tmp_path / "gateway.db"
        wait_for(lambda: query(db, "SELECT state, attempts FROM outbox WHERE id = 1")
                 == [("done", 3)], timeout=5, what="the send marked done after its +CMGS")

        modem.fail_sends(500, times=3)
        _received(tmp_path, modem, "2 Kamango second")
        failed = wait_for(lambda: query(db, "SELECT state, attempts, last_error FROM outbox"
                                            " WHERE destination = 'sms' AND state = 'failed'"),
                          timeout=20, what="the acknowledgement marked failed")
        assert failed == [("failed", 3, "+CMS ERROR: 500")]
        config = str(tmp_path / "gateway.toml")
        status = CliRunner().invoke(cli, ["-c", config, "status", "--json"])
        assert json.loads(status.output)["queue"]["sms"] == {"failed": 1}
        assert len(modem.sent) == 1

        retried = CliRunner().invoke(cli, ["-c", config, "outbox", "retry", "KWJ-0002"])
        assert retried.exit_code == 0, retried.output
        wait_for(lambda: len(modem.sent) == 2, timeout=20, what="the retried acknowledgement")
        assert modem.sent[1].text.startswith("KWJ-0002")
        again = CliRunner().invoke(cli, ["-c", config, "outbox", "retry", "--all"])
        assert again.exit_code != 0 and "no failed outbox row" in again.output


def test_a_modem_left_unplugged_without_a_relay_is_reported_every_ten_minutes_not_each_round(
        tmp_path, caplog):
    clock = [1000.0]
    config = load_config(write_config(tmp_path, str(tmp_path / "gone")))
    recovery = ModemRecovery(config.gsm, None, clock=lambda: clock[0])
    caplog.set_level(logging.WARNING, "gateway.gsm.recovery")
    for _ in range(9):  # a round of the ladder a minute: nine minutes
        for _ in range(RESET_AFTER):
            recovery.failed(LinkError("cannot open the port"))
        clock[0] += 30
        recovery.failed(LinkError("cannot open the port"))  # after reset_wait: the relay's turn
        clock[0] += 30
    assert caplog.text.count("a person must power-cycle it") == 1
    assert caplog.text.count("cannot send the modem a reset") == 1
    clock[0] += 60
    for _ in range(RESET_AFTER):
        recovery.failed(LinkError("cannot open the port"))
    clock[0] += 30
    recovery.failed(LinkError("cannot open the port"))
    assert caplog.text.count("a person must power-cycle it") == 2
