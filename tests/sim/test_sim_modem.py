"""The simulated modem speaks enough of 27.005/27.007 for our driver and for gammu."""

from __future__ import annotations

import shutil
import subprocess

import pytest

from gateway.at import AtChannel
from gateway.errors import CommandError
from gateway.gsm.config import GsmConfig
from gateway.gsm.modem import GsmModem
from gateway.gsm.sms_pdu import decode_deliver
from gateway.sim.gsm_modem import SimulatedModem


@pytest.fixture
def at(modem):
    channel = AtChannel(modem.path, default_timeout=3)
    channel.open()
    yield channel
    channel.close()


def test_driver_reads_lists_deletes_and_sends(modem):
    modem.inject_sms("+243990000101", "2 Kamango")
    driver = GsmModem(GsmConfig(port=modem.path))
    driver.open()
    try:
        assert driver.network().registered
        (stored,) = driver.list_stored()
        assert decode_deliver(stored.pdu).text == "2 Kamango"
        (index,) = modem.inject_sms("+243990000102", "hatari 3")
        assert driver.urcs.get(timeout=2)[1] == f'+CMTI: "SM",{index}'
        fresh = driver.read(index)
        assert decode_deliver(fresh.pdu).text == "hatari 3" and fresh.slot == ("SM", index)
        driver.delete(stored)
        driver.delete(fresh)
        assert driver.read(index) is None and driver.storage_use() == (0, 30)
        assert driver.send_sms("+243990000101", "KWJ-0001 recu") == [1]
        assert [(s.number, s.text) for s in modem.sent] == [("+243990000101", "KWJ-0001 recu")]
    finally:
        driver.close()


def test_text_mode_listing_and_sending(modem, at):
    modem.inject_sms("+243990000101", "2 Kamango")
    at.command("AT+CMGF=1")
    lines = at.command('AT+CMGL="ALL"', expect="+CMGL:")
    assert lines[0].startswith('+CMGL: 1,"REC UNREAD","+243990000101"')
    assert lines[1] == "2 Kamango"
    assert at.command_with_prompt('AT+CMGS="+243990000101"', "merci", expect="+CMGS:")
    assert modem.sent[-1].text == "merci" and modem.sent[-1].number == "+243990000101"


def test_errors_like_a_sim800(modem, at):
    at.command("AT+CMEE=1")
    with pytest.raises(CommandError) as caught:
        at.command("AT+CMGR=31")  # beyond the SIM's 30 slots
    assert caught.value.code == 321
    assert at.command("AT+CMGR=5") == []  # an empty slot answers OK
    with pytest.raises(CommandError):
        at.command("AT+NOSUCH")
    with pytest.raises(CommandError) as caught:
        at.command('AT+CPMS="ME"')
    assert caught.value.code == 302


def test_pin_locked_sim(tmp_path):
    with SimulatedModem(pin="4321") as sim:
        driver = GsmModem(GsmConfig(port=sim.path))
        with pytest.raises(Exception, match="SIM not ready: SIM PIN"):
            driver.open()
        unlocked = GsmModem(GsmConfig(port=sim.path, pin="4321"))
        unlocked.open()
        unlocked.close()


def test_output_is_paced_at_the_baud_rate():
    import time

    with SimulatedModem(baudrate=9600) as slow:
        channel = AtChannel(slow.path)
        channel.open()
        slow.inject_sms("+243990000101", "x" * 150)
        started = time.monotonic()
        channel.command("AT+CMGL=4", expect="+CMGL:")
        elapsed = time.monotonic() - started
        channel.close()
    # ~300 bytes of reply at 960 bytes/s take about 0.3 s on a real line
    assert 0.25 < elapsed < 1.5


gammu = shutil.which("gammu")


@pytest.mark.skipif(gammu is None, reason="gammu not installed (scripts/test installs it)")
def test_gammu_identifies_reads_and_sends_through_the_simulator(modem, tmp_path):
    modem.inject_sms("+243990000101", "alerte 2 kamango 15 hommes armés")
    modem.inject_sms("+243990000102", "Msaada 🙏 " + "watu wamekimbia " * 6)  # UCS-2, 2 parts
    rc = tmp_path / "gammurc"
    rc.write_text(f"[gammu]\ndevice = {modem.path}\nconnection = at115200\n")

    def run(*args):
        done = subprocess.run([gammu, "-c", str(rc), *args], capture_output=True, text=True,
                              timeout=90)
        assert done.returncode == 0, done.stdout + done.stderr
        return done.stdout

    identity = run("identify")
    assert "SIMCOM_Ltd" in identity and "866262037000001" in identity
    listing = run("getallsms")
    assert "alerte 2 kamango 15 hommes armés" in listing
    assert "Msaada 🙏" in listing and "part 2 of 2" in listing
    assert "3 SMS parts in 3 SMS sequences" in listing
    run("sendsms", "TEXT", "+243990000199", "-text", "hello from gammu")
    assert (modem.sent[-1].number, modem.sent[-1].text) == ("+243990000199", "hello from gammu")
