"""The SBD modem driver against the simulated 9602 on a pseudo-terminal: binary loading with
READY and checksum, sessions and their MO status codes, ring alerts and MT messages."""

from __future__ import annotations

import pytest

from gateway.errors import LinkError, ModemTimeout
from gateway.sbd.link import Indications, SbdModem, checksum
from gateway.sim.harness import wait_for
from gateway.sim.sbd_modem import SimulatedSbdModem

AWKWARD = b"\r\nOK\r\nREADY\r\n\x00\x01\xff" + bytes(range(256))[:200]


@pytest.fixture
def sbd():
    with SimulatedSbdModem() as sim:
        modem = SbdModem(sim.path, session_timeout=3)
        modem.open()
        yield sim, modem
        modem.close()


def test_checksum_is_the_low_16_bits_of_the_sum_big_endian():
    assert checksum(b"hello") == bytes.fromhex("0214")


def test_open_sets_the_modem_up(sbd):
    sim, modem = sbd
    assert modem.imei == "300234010753370"
    assert sim.ring_alerts and not sim.echo
    assert "AT+SBDD0" in sim.commands and "AT&K0" in sim.commands


def test_a_binary_message_goes_in_one_session_byte_for_byte(sbd):
    sim, modem = sbd
    modem.load(AWKWARD)
    result = modem.session()
    assert result.sent and result.momsn == 0 and result.meaning == "success"
    assert sim.sent == [(0, AWKWARD)]
    modem.clear_mo()
    assert sim.mo_buffer == b""
    modem.load(b"x")
    assert modem.session().momsn == 1


def test_the_mo_buffer_stays_until_cleared(sbd):
    """The modem sends its MO buffer again in the next session unless it is cleared."""
    sim, modem = sbd
    modem.load(b"once")
    modem.session()
    modem.session()
    assert [message for _, message in sim.sent] == [b"once", b"once"]


@pytest.mark.parametrize("status, meaning", [(32, "no network service"), (35, "modem busy"),
                                             (36, "wait 3 minutes after the last registration")])
def test_failed_sessions_report_their_mo_status(sbd, status, meaning):
    sim, modem = sbd
    sim.fault = status
    modem.load(b"alert")
    result = modem.session()
    assert (result.sent, result.mo_status, result.meaning) == (False, status, meaning)
    assert sim.sent == []


def test_no_signal(sbd):
    sim, modem = sbd
    sim.signal = 0
    assert modem.signal() == 0
    modem.load(b"alert")
    assert modem.session().mo_status == 32


def test_a_session_that_never_answers_times_out_and_the_link_recovers(sbd):
    sim, modem = sbd
    sim.fault = "timeout"
    modem.load(b"alert")
    with pytest.raises(ModemTimeout):
        modem.session()
    sim.fault = None
    assert modem.session().sent


def test_a_queued_mt_message_rings_and_is_read(sbd):
    sim, modem = sbd
    sim.queue_mt(AWKWARD)
    wait_for(lambda: modem.indications().rings, what="SBDRING")
    result = modem.session(answer_ring=True)
    assert result.mt_received and result.mt_length == len(AWKWARD) and result.mt_queued == 0
    assert modem.read_mt() == AWKWARD
    assert sim.sessions[-1].command == "AT+SBDIXA"


def test_a_ring_during_a_command_is_kept(sbd):
    sim, modem = sbd
    sim.queue_mt(b"\x81first")
    sim.queue_mt(b"\x81second")
    result = modem.session()
    assert result.mt_received and result.mt_queued == 1
    assert modem.read_mt() == b"\x81first"
    assert modem.indications().rings == 2


def test_signal_changes_are_announced_by_the_modem(sbd):
    sim, modem = sbd
    assert modem.indicates_signal and sim.reporting == (True, True, True)
    sim.signal = 0
    wait_for(lambda: modem.channel.urcs.qsize() >= 2, what="+CIEV:0,0 and +CIEV:1,0")
    assert modem.indications() == Indications(signal=0, service=False, dropped=True)
    sim.signal = 2
    sim.signal = 3
    wait_for(lambda: modem.channel.urcs.qsize() >= 3, what="three +CIEV lines")
    assert modem.indications() == Indications(signal=3, service=True)
    assert modem.signal() == 3


def test_a_modem_without_indications_is_polled():
    with SimulatedSbdModem(indications=False, signal=0) as sim:
        modem = SbdModem(sim.path)
        modem.open()
        try:
            assert not modem.indicates_signal and modem.signal() == 0
            sim.signal = 5
            assert modem.indications() == Indications() and modem.signal() == 5
        finally:
            modem.close()


def test_a_size_the_modem_refuses_is_an_error(sbd):
    with pytest.raises(ValueError):
        sbd[1].load(b"x" * 341)


def test_a_port_that_is_not_there(tmp_path):
    with pytest.raises(LinkError):
        SbdModem(str(tmp_path / "nothing")).open()
