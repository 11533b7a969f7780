"""The simulated modem's fault modes behave as the field's faults do, seen from the AT side."""

from __future__ import annotations

import os

import pytest

from gateway.at import AtChannel
from gateway.errors import CommandError, ModemTimeout
from gateway.sim.gsm_modem import SimulatedModem
from gateway.sim.harness import wait_for


def _channel(path: str) -> AtChannel:
    channel = AtChannel(path, default_timeout=2, exclusive=False)
    channel.open()
    return channel


def _urcs(channel: AtChannel) -> list[str]:
    lines = []
    while not channel.urcs.empty():
        lines.append(channel.urcs.get_nowait()[1])
    return lines


def _booted(channel: AtChannel, seen: list[str]):
    seen += _urcs(channel)
    return "SMS Ready" in seen


@pytest.mark.parametrize("clears_by", ["time", "reset", "power"])
def test_a_hung_modem_answers_again_only_after_what_clears_it(modem, clears_by):
    channel = _channel(modem.path)
    try:
        channel.command("ATE0")
        modem.hang(clears_by, seconds=1.5)
        with pytest.raises(ModemTimeout):
            channel.command("AT", timeout=0.5)
        if clears_by == "power":
            channel._write("AT+CFUN=1,1\r")  # a reset does not reach a dead firmware
            with pytest.raises(ModemTimeout):
                channel.command("AT", timeout=1.5)
            modem.power(False)
            modem.power(True)
        elif clears_by == "reset":
            channel._write("AT+CFUN=1,1\r")
        seen: list[str] = []
        wait_for(lambda: _booted(channel, seen), timeout=10, what="boot URCs")
        assert seen[0] == "RDY"
        assert channel.command("AT") == []
        assert modem.state.echo and modem.state.cnmi == (0, 0, 0, 0, 0)  # settings forgotten
    finally:
        channel.close()


def test_unplugged_modem_comes_back_under_another_name_with_what_the_network_held(tmp_path):
    link = tmp_path / "cangw-gsm"
    with SimulatedModem(link=link) as modem:
        first = os.readlink(link)
        modem.unplug()
        assert not link.exists()
        assert modem.inject_sms("+243990000101", "2 Kamango") == [None]
        second = modem.replug()
        assert os.readlink(link) == second and second != first
        wait_for(lambda: modem.stored, timeout=5, what="the held SMS delivered")
        channel = _channel(str(link))
        try:
            assert channel.command("AT+CPMS?") == ['+CPMS: "SM",1,30,"SM",1,30,"SM",1,30']
        finally:
            channel.close()


def test_full_sim_holds_messages_at_the_network_and_says_so(tmp_path):
    with SimulatedModem(capacity=2) as modem:
        channel = _channel(modem.path)
        try:
            channel.command("AT+CMEE=1")
            channel.command("AT+CNMI=2,1,0,0,0")
            assert modem.inject_sms("+243990000101", "1 a") == [1]
            assert modem.inject_sms("+243990000101", "1 b") == [2]
            assert modem.inject_sms("+243990000101", "1 c") == [None]
            wait_for(lambda: "+CMS ERROR: 322" in [u[1] for u in list(channel.urcs.queue)],
                     timeout=3, what="memory full")
            _urcs(channel)
            channel.command("AT+CMGD=1")
            wait_for(lambda: '+CMTI: "SM",1' in _urcs(channel), timeout=3, what="held SMS")
            assert sorted(m.text for m in modem.stored.values()) == ["1 b", "1 c"]
        finally:
            channel.close()


def test_send_errors_no_network_and_silent_notifications(modem):
    channel = _channel(modem.path)
    try:
        channel.command("AT+CMEE=1")
        channel.command("AT+CMGF=1")
        channel.command("AT+CNMI=2,1,0,0,0")
        modem.fail_sends(500, times=1)
        with pytest.raises(CommandError) as failed:
            channel.command_with_prompt('AT+CMGS="+243990000101"', "hello", timeout=3)
        assert failed.value.code == 500
        modem.set_network(registration=0)
        with pytest.raises(CommandError) as no_network:
            channel.command_with_prompt('AT+CMGS="+243990000101"', "hello", timeout=3)
        assert no_network.value.code == 331
        modem.set_network(registration=1)
        channel.command_with_prompt('AT+CMGS="+243990000101"', "hello", timeout=3)
        assert [m.text for m in modem.sent] == ["hello"]
        modem.notifications(False)
        modem.inject_sms("+243990000101", "2 Kamango")
        assert channel.command("AT") == [] and _urcs(channel) == []
        assert len(modem.stored) == 1
    finally:
        channel.close()
