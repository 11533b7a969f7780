"""Headquarters' commands on the wire: the signed MQTT form refuses forgeries, other bases'
commands and replays; the satellite broadcast argument and the status reply with broadcast
summaries read back exactly, and refuse what is malformed."""

from __future__ import annotations

import json

import pytest
from hypothesis import given
from hypothesis import strategies as st

from gateway.errors import CommandRejected, SbdFormatError
from gateway.outreach.hq_wire import (
    BroadcastRequest,
    HqCommand,
    decode_broadcast,
    encode_broadcast,
    sign_mqtt,
    verify_mqtt,
)
from gateway.sbd.reply import BroadcastSummary, StatusReply, decode_message, encode_reply

KEY = b"0123456789abcdef0123456789abcdef"
REQUEST = BroadcastRequest("zone:north AND group:chiefs", 1, {"place": "Kamango"},
                           languages=("fr", "sw"))


def test_a_signed_broadcast_reads_back():
    payload = sign_mqtt(KEY, "KWJ", HqCommand(1_790_000_000, "broadcast", REQUEST))
    command = verify_mqtt(KEY, "KWJ", payload, 1_789_999_999)
    assert (command.counter, command.name, command.broadcast) == (1_790_000_000, "broadcast",
                                                                  REQUEST)
    assert verify_mqtt(KEY, "KWJ", sign_mqtt(KEY, "KWJ", HqCommand(5, "ping")), 4).name == "ping"


def _altered(payload: bytes) -> bytes:
    outer = json.loads(payload)
    outer["body"] = outer["body"].replace("north", "south")
    return json.dumps(outer).encode()


@pytest.mark.parametrize(("payload", "reason"), [
    (sign_mqtt(b"another key, not the base's one", "KWJ", HqCommand(10, "ping")),
     "authentication failed"),
    (sign_mqtt(KEY, "BNI", HqCommand(10, "ping")), "authentication failed"),
    (_altered(sign_mqtt(KEY, "KWJ", HqCommand(10, "broadcast", REQUEST))), "authentication"),
    (sign_mqtt(KEY, "KWJ", HqCommand(5, "ping")), "replayed or out of order"),
    (sign_mqtt(KEY, "KWJ", HqCommand(6, "ping")), "replayed or out of order"),
    (b"not json", "not a signed command"),
    (b'{"body": 5, "tag": "00"}', "not a signed command"),
    (b"x" * 5000, "larger than"),
])
def test_forged_altered_foreign_and_replayed_commands_are_refused(payload, reason):
    with pytest.raises(CommandRejected, match=reason):
        verify_mqtt(KEY, "KWJ", payload, 6)


def test_a_signed_body_that_is_not_a_command_is_refused():
    from gateway.outreach.hq_wire import _tag

    body = json.dumps({"base": "KWJ", "counter": 9, "command": "reboot"})
    payload = json.dumps({"body": body, "tag": _tag(KEY, "KWJ", body.encode())}).encode()
    with pytest.raises(CommandRejected, match="not a command"):
        verify_mqtt(KEY, "KWJ", payload, 0)


@given(target=st.text(st.characters(min_codepoint=32, max_codepoint=126), min_size=1,
                      max_size=60),
       template=st.integers(1, 255),
       params=st.lists(st.text(min_size=1, max_size=40).filter(
           lambda t: len(t.encode()) <= 255), max_size=8),
       languages=st.sets(st.sampled_from(["fr", "sw", "en"])), force=st.booleans())
def test_the_satellite_argument_reads_back(target, template, params, languages, force):
    request = BroadcastRequest(target, template, tuple(params),
                               languages=tuple(lang for lang in ("fr", "sw", "en")
                                               if lang in languages), force=force)
    assert decode_broadcast(encode_broadcast(request)) == request


def test_a_satellite_text_broadcast_reads_back_and_what_cannot_go_is_refused():
    text = BroadcastRequest("all", text="Réunion demain à Kamango")
    assert decode_broadcast(encode_broadcast(text)) == text
    for impossible in (BroadcastRequest("all", "armed_group"),
                       BroadcastRequest("all", text={"fr": "a", "sw": "b"}),
                       BroadcastRequest("all", 1, tuple("abcdefghi"))):
        with pytest.raises(ValueError):
            encode_broadcast(impossible)


@pytest.mark.parametrize("argument", [b"", b"\x20\x03all", b"\x00\x03all", b"\x01\x03all",
                                      b"\x00\x03all\x01\x09", b"\x01\x03all\x02hi!",
                                      b"\x00\x03\xff\xfe\x01\x01\x00"])
def test_a_malformed_satellite_argument_is_refused(argument):
    with pytest.raises(SbdFormatError):
        decode_broadcast(argument)


def test_the_status_reply_carries_broadcast_summaries_when_there_are_some():
    plain = StatusReply("KWJ", "71b6", 1_790_000_000, 7, 4, 2, 50, 0, 1, 193, "gsm=up")
    assert encode_reply(plain)[0] == 0x02 and decode_message(encode_reply(plain)) == plain
    summaries = (BroadcastSummary(1_790_000_000, 3, "sent", 500, 0, 120, 370, 6, 4, 37),
                 BroadcastSummary(1_789_990_000, 0, "refused", 0, 0, 0, 0, 0, 0, 0))
    full = StatusReply("KWJ", "71b6", 1_790_000_000, 7, 4, 2, 50, 0, 1, 193, "gsm=up",
                       summaries)
    data = encode_reply(full)
    assert data[0] == 0x04 and decode_message(data) == full
    assert len(data) <= 100
    with pytest.raises(SbdFormatError):
        decode_message(data[:-1])
    with pytest.raises(SbdFormatError):
        decode_message(data + b"\x00")


def test_the_bridge_publishes_the_summaries_with_the_satellite_status():
    from gateway.alerts.codes import load_codebook
    from gateway.hq.publish import BaseBook, publications
    from gateway.hq.store import Delivery

    reply = StatusReply("KWJ", "71b6", 1_790_000_000, 7, 4, 2, 50, 0, 1, 193, "gsm=up",
                        (BroadcastSummary(1_790_000_000, 3, "sent", 500, 0, 120, 370, 6, 4, 37),))
    ((topic, payload),) = publications(decode_message(encode_reply(reply)),
                                       Delivery("300234010753370", 5, None, None, None, b""),
                                       BaseBook(load_codebook(), {}), "can/v1", set())
    event = json.loads(payload)
    assert topic == "can/v1/KWJ/events" and event["event"] == "satellite_status"
    assert event["broadcasts"] == [{"counter": 1_790_000_000, "number": 3, "state": "sent",
                                    "recipients": 500, "queued": 0, "sent": 120,
                                    "delivered": 370, "failed": 6, "expired": 4,
                                    "replied": 37}]
