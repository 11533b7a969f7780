"""The AT engine against a raw pseudo-terminal peer: URCs during commands, bad bytes, prompts."""

from __future__ import annotations

import threading
import time

import pytest

from gateway.at import AtChannel, redact_wire
from gateway.errors import CommandError, LinkError, ModemRestarted, ModemTimeout
from gateway.sim.harness import wait_for
from gateway.sim.pty_port import PtyPort


class ScriptedPeer:
    """Answers each command line with canned bytes."""

    def __init__(self, replies: dict[str, bytes]):
        self.port = PtyPort(baudrate=0)
        self.replies = replies
        self.received: list[bytes] = []
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._serve, daemon=True)
        self._thread.start()

    def _serve(self):
        buffer = b""
        while not self._stop.is_set():
            buffer += self.port.read(0.05)
            while any(t in buffer for t in (b"\r", b"\x1a", b"\x1b")):
                cut = min(i for i in (buffer.find(t) for t in (b"\r", b"\x1a", b"\x1b")) if i >= 0)
                line, ending, buffer = buffer[:cut], buffer[cut:cut + 1], buffer[cut + 1:]
                if ending != b"\r":
                    line += ending
                self.received.append(line)
                reply = self.replies.get(line.decode("latin-1"))
                if reply:
                    self.port.write(reply)

    def close(self):
        self._stop.set()
        self._thread.join()
        self.port.close()


@pytest.fixture
def peer_and_channel():
    made = []

    def build(replies):
        peer = ScriptedPeer(replies)
        channel = AtChannel(peer.port.path, default_timeout=2)
        channel.open()
        made.append((peer, channel))
        return peer, channel

    yield build
    for peer, channel in made:
        channel.close()
        peer.close()


def test_urc_in_the_middle_of_a_reply_goes_to_the_urc_queue(peer_and_channel):
    _peer, at = peer_and_channel({
        "AT+CSQ": b"\r\n+CMTI: \"SM\",4\r\n\r\n+CSQ: 17,0\r\n\r\n+CMTI: \"SM\",5\r\n\r\nOK\r\n"})
    assert at.command("AT+CSQ", expect="+CSQ:") == ["+CSQ: 17,0"]
    urcs = [at.urcs.get(timeout=1)[1], at.urcs.get(timeout=1)[1]]
    assert urcs == ['+CMTI: "SM",4', '+CMTI: "SM",5']  # a burst: every one, not just the first


def test_non_utf8_bytes_do_not_kill_the_reader(peer_and_channel):
    _peer, at = peer_and_channel({"AT+CGMI": b"\r\n\xff\xfe\x80 Huawei\xe9\r\n\r\nOK\r\n",
                                 "AT": b"\r\nOK\r\n"})
    assert at.command("AT+CGMI") == ["\xff\xfe\x80 Huawei\xe9"]
    assert at.alive and at.command("AT") == []


def test_errors_carry_the_cms_code(peer_and_channel):
    _peer, at = peer_and_channel({"AT+CMGR=99": b"\r\n+CMS ERROR: 321\r\n"})
    with pytest.raises(CommandError) as caught:
        at.command("AT+CMGR=99")
    assert caught.value.code == 321


def test_timeout_then_recovery(peer_and_channel):
    _peer, at = peer_and_channel({"AT": b"\r\nOK\r\n"})
    started = time.monotonic()
    with pytest.raises(ModemTimeout):
        at.command("AT+SILENT", timeout=0.3)
    assert time.monotonic() - started < 1
    assert at.command("AT") == []


def test_prompt_and_payload_are_written_together(peer_and_channel):
    peer, at = peer_and_channel({"AT+CMGS=5": b"\r\n> ", "0011ABCD\x1a": b"\r\n+CMGS: 42\r\n\r\nOK\r\n"})
    assert at.command_with_prompt("AT+CMGS=5", "0011ABCD", expect="+CMGS:", timeout=2) == ["+CMGS: 42"]
    assert peer.received[-2:] == [b"AT+CMGS=5", b"0011ABCD\x1a"]


def test_a_urc_during_the_prompt_does_not_corrupt_the_send(peer_and_channel):
    _peer, at = peer_and_channel({"AT+CMGS=5": b"\r\nRING\r\n\r\n> ",
                                 "0011ABCD\x1a": b"\r\n+CMGS: 7\r\n\r\nOK\r\n"})
    assert at.command_with_prompt("AT+CMGS=5", "0011ABCD", expect="+CMGS:", timeout=2) == ["+CMGS: 7"]
    assert at.urcs.get(timeout=1)[1] == "RING"


def test_a_missing_prompt_is_cancelled_with_escape(peer_and_channel):
    peer, at = peer_and_channel({})
    with pytest.raises(ModemTimeout):
        at.command_with_prompt("AT+CMGS=5", "00", timeout=0.5)
    wait_for(lambda: peer.received[-1:] == [b"\x1b"], timeout=5, what="the escape at the peer")


def test_unplugged_port_fails_the_pending_command(peer_and_channel):
    peer, at = peer_and_channel({})
    peer.close()  # the USB device disappears: the pty hangs up under the reader
    wait_for(lambda: not at.alive, timeout=3, what="the reader to notice")
    with pytest.raises(LinkError):
        at.command("AT", timeout=1)


def test_wire_traces_hide_numbers_and_pdus():
    assert redact_wire('+CLIP: "+243990000101",145') == '+CLIP: "<13 digits>",145'
    assert redact_wire("0791429309000010040C91429319325476") == "<pdu 17 bytes>"
    assert redact_wire("AT+CSQ") == "AT+CSQ"


def test_a_modem_that_restarts_during_a_command_ends_it_at_once(peer_and_channel):
    # the modem rebooted after taking AT+CMGL: it prints its start-up lines and never answers
    _peer, at = peer_and_channel({"AT+CMGL=4": b"\r\nRDY\r\n\r\n+CFUN: 1\r\n\r\nCall Ready\r\n"})
    started = time.monotonic()
    with pytest.raises(ModemRestarted, match="restarted during 'AT\\+CMGL=4'"):
        at.command("AT+CMGL=4", timeout=10, quiet_limit=10)
    assert time.monotonic() - started < 1.5  # not the command's 10 s
    assert at.urcs.get(timeout=1)[1] == "RDY"  # the worker hears of it too
