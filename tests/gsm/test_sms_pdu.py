"""PDU decoding: GSM-7 with extensions, UCS-2 with surrogate pairs, concatenation, garbage."""

from __future__ import annotations

import datetime as dt

import pytest

from gateway.gsm.sms_pdu import decode_deliver, encode_submit, repair_surrogates
from gateway.sim.deliver_pdu import build_deliver_pdus

WHEN = dt.datetime(2026, 11, 23, 6, 15, 0, tzinfo=dt.timezone(dt.timedelta(hours=2)))


@pytest.mark.parametrize("text", [
    "2 KAMANGO",
    "Hatari {3} [kijiji] ~ \\ | ^ €",  # GSM-7 extension table
    "Attaque à Kamango, hommes armés",  # accents that GSM-7 carries
    "ça brûle, l'église est touchée",  # accents that force UCS-2
    "Msaada 🙏 sasa 😀",  # outside the basic plane: surrogate pairs
])
def test_single_part_round_trip(text):
    (pdu,) = build_deliver_pdus("+243990000101", text, WHEN)
    part = decode_deliver(pdu.hex)
    assert part.decode_error is None
    assert part.text == text
    assert part.sender == "+243990000101"
    assert part.modem_time == "2026-11-23T06:15:00+02:00"
    assert not part.is_fragment


@pytest.mark.parametrize(("text", "parts"), [("x" * 400, 3), ("é" * 100 + "ç" * 100, 3),
                                             ("🙏" * 40, 2)])
def test_concatenated_parts_carry_reference_and_position(text, parts):
    pdus = build_deliver_pdus("+243990000101", text, WHEN, reference=77)
    assert len(pdus) == parts
    decoded = [decode_deliver(p.hex) for p in pdus]
    assert [(d.concat_ref, d.concat_seq, d.concat_total) for d in decoded] == \
        [(77, i, parts) for i in range(1, parts + 1)]
    assert "".join(d.text for d in decoded) == text


def test_alphanumeric_sender():
    (pdu,) = build_deliver_pdus("VODACOM", "Votre solde est de 100 FC", WHEN)
    assert decode_deliver(pdu.hex).sender == "VODACOM"


@pytest.mark.parametrize("garbage", ["", "ZZ", "0791", "00" * 5, "07914293090000100" + "F" * 9,
                                     "0011000C914293193254760000AA05E8329BFD06"])  # a SUBMIT
def test_undecodable_pdu_is_kept_as_hex_not_raised(garbage):
    part = decode_deliver(garbage)
    assert part.decode_error
    assert part.raw_pdu == garbage.upper()
    assert part.fingerprint


def test_lone_surrogate_is_replaced_not_passed_to_sqlite():
    assert repair_surrogates("a\ud83d\ude4fb") == "a🙏b"
    assert repair_surrogates("a\ud83db") == "a\ufffdb"


def test_submit_encoding_handles_emoji_and_long_text():
    from gsmmodem.pdu import decodeSmsPdu

    (single,) = encode_submit("+243990000101", "KWJ-0001 recu")
    assert decodeSmsPdu(single.hex)["text"] == "KWJ-0001 recu"
    emoji = encode_submit("+243990000101", "asante 🙏")
    assert repair_surrogates(decodeSmsPdu(emoji[0].hex)["text"]) == "asante 🙏"
    assert len(encode_submit("+243990000101", "y" * 300)) == 2


def _with_header(pdu_hex: str, total: int, seq: int) -> str:
    """A part of a concatenated message whose header is rewritten to claim `seq` of `total`."""
    header = pdu_hex.index("050003") + 8  # UDH length, IE 00, IE length 03, reference
    return pdu_hex[:header] + f"{total:02X}{seq:02X}" + pdu_hex[header + 4:]


@pytest.mark.parametrize(("total", "seq"), [(3, 0), (3, 5), (1, 1), (0, 0), (255, 0)])
def test_an_impossible_multipart_header_is_a_single_message_from_its_sender(total, seq):
    first = build_deliver_pdus("+243990000101", "2 Kamango " + "x" * 200, WHEN, reference=9)[0]
    part = decode_deliver(_with_header(first.hex, total, seq))
    assert part.decode_error is None and part.raw_pdu is None
    assert part.sender == "+243990000101" and part.text == first.text
    assert not part.is_fragment and part.concat_ref is None


@pytest.mark.parametrize("header", ["050002", "050801", "050004", "050300"],
                         ids=["concatenation IE too short", "16-bit reference IE too short",
                              "IE longer than the header", "unknown IE then garbage"])
def test_an_unreadable_multipart_header_is_a_single_message_from_its_sender(header):
    first = build_deliver_pdus("+243990000101", "2 Kamango " + "x" * 200, WHEN, reference=9)[0]
    at = first.hex.index("050003")
    part = decode_deliver(first.hex[:at] + header + first.hex[at + 6:])
    assert part.decode_error is None
    assert part.sender == "+243990000101" and part.text == first.text
    assert not part.is_fragment
