"""The version 2 batch (alerts and incident changes, bit by bit): encode -> decode is the
identity, no byte string crashes the decoder, the documented example byte for byte, and the
incident payload survives the trip to headquarters."""

from __future__ import annotations

import contextlib

import pytest
from hypothesis import assume, given, settings
from hypothesis import strategies as st

from gateway.errors import SbdFormatError
from gateway.sbd import incident as sat
from gateway.sbd.batch import SatAlert
from gateway.sbd.bits import BitReader, BitWriter
from gateway.sbd.incident import SatIncident, to_sat_incident
from gateway.sbd.packed import Message, decode_message, encode_message
from gateway.sbd.reply import decode_message as decode_any
from gateway.sbd.wire import MO_MAX
from tests.sbd.test_sbd_format import batches, damaged

unhurried = settings(deadline=None, max_examples=60)


@st.composite
def incidents(draw) -> list[SatIncident]:
    numbers = draw(st.lists(st.integers(1, 10**6), max_size=6, unique=True))
    made = []
    for number in numbers:
        first = draw(st.integers(1_600_000_000, 2_000_000_000))
        silence = draw(st.booleans())
        made.append(SatIncident(
            number=number, version=draw(st.integers(1, 10**5)),
            state=draw(st.sampled_from(sat.STATES)), level=draw(st.sampled_from(sat.LEVELS)),
            severity=draw(st.sampled_from(sat.SEVERITIES)),
            urgency=draw(st.sampled_from(sat.URGENCIES)), first_at=first,
            last_at=first + draw(st.integers(0, 10**6)),
            codes=tuple(sorted(draw(st.sets(st.integers(0, 13), max_size=4)))),
            other_codes=draw(st.booleans()), silence=silence,
            zone=draw(st.one_of(st.none(), st.text(min_size=1, max_size=20))) if silence else None,
            villages=tuple(draw(st.lists(st.integers(0, 10**5), max_size=4))),
            reports=draw(st.integers(0, 5000)), repeats=draw(st.integers(0, 100)),
            throttled=draw(st.integers(0, 1000)), senders=draw(st.integers(0, 50)),
            registered_senders=draw(st.integers(0, 50)),
            channels=tuple(c for c in (*sat.CHANNELS, sat.OTHER_CHANNEL) if draw(st.booleans())),
            operator_confirmed=draw(st.booleans()),
            merged_into=draw(st.one_of(st.none(), st.integers(1, 10**6))),
            alerts=draw(st.one_of(st.none(), st.lists(st.integers(1, 10**8), max_size=8,
                                                      unique=True).map(lambda s: tuple(sorted(s)))))))
    return made


@unhurried
@given(st.one_of(st.just([]), batches()), incidents())
def test_encode_then_decode_is_the_identity(alerts, changes):
    if not alerts and not changes:
        return
    data = encode_message("KWJ", "71b6", alerts, changes)
    assume(len(data) <= MO_MAX)  # what a base sends (pack() keeps to it); longer is an error
    decoded = decode_message(data)
    assert decoded.alerts == tuple(sorted(alerts, key=lambda a: a.seq))
    assert decoded.incidents == tuple(sorted(changes, key=lambda i: i.number))
    assert decode_any(data) == decoded
    assert encode_message("KWJ", "71b6", decoded.alerts, decoded.incidents) == data


@unhurried
@given(st.binary(max_size=400))
def test_random_bytes_decode_or_raise_the_one_error(data):
    with contextlib.suppress(SbdFormatError):
        decode_any(b"\x03\x03KWJ\x71\xb6\x6a\xb1\x3b\x80" + data)


@unhurried
@given(batches(), incidents(), st.data())
def test_damaged_messages_decode_or_raise_the_one_error(alerts, changes, data):
    with contextlib.suppress(SbdFormatError):
        decode_any(damaged(encode_message("KWJ", "71b6", alerts, changes), data))


@given(st.lists(st.tuples(st.integers(0, 2**63), st.integers(0, 15)), max_size=20))
def test_exp_golomb_round_trips(values):
    out = BitWriter()
    for value, k in values:
        out.golomb(value, k)
    reader = BitReader(out.to_bytes())
    assert [reader.golomb(k, "v") for _, k in values] == [v for v, _ in values]
    reader.end()


EXAMPLE_ALERTS = [
    SatAlert(seq=193, received_at=1_790_000_000, code="2", village=12, sender="fp-ef6f0623a3"),
    SatAlert(seq=195, received_at=1_790_000_075, code="1", language="sw", village=204,
             sender="fp-0123456789", registered=False, count=15, text="hommes armés"),
    SatAlert(seq=196, received_at=1_790_000_070, code=None, channel="hf",
             sender="fp-ef6f0623a3", text="tirs entendus", text_truncated=True),
]
EXAMPLE_INCIDENT = SatIncident(
    number=41, version=3, state="seen", level="corroborated", severity="Extreme",
    urgency="Immediate", first_at=1_790_000_000, last_at=1_790_000_075, codes=(1, 2),
    villages=(12,), reports=2, senders=2, registered_senders=1, channels=("sms",),
    alerts=(193, 195))


def test_the_documented_example_bytes():
    """The worked example in docs/sbd-format.md, byte for byte."""
    data = encode_message("KWJ", "71b6", EXAMPLE_ALERTS, [EXAMPLE_INCIDENT])
    assert data.hex(" ") == (
        "03 03 4b 57 4a 71 b6 6a b1 3b 80 03 01 11 44 22 06 15 c7 7b 78 31 1d 18 ae 60 9a 37 00 "
        "24 68 ac f1 3f 0d 68 6f 6d 6d 65 73 20 61 72 6d c3 a9 73 f0 71 99 e0 d7 46 97 27 32 06 "
        "56 e7 46 56 e6 47 57 34 04 71 ca 00 00 68 13 17 12 93 09 49 83 80")
    assert decode_message(data).alerts == tuple(EXAMPLE_ALERTS)


def test_a_typical_alert_takes_under_nine_bytes_and_a_repeated_sender_four():
    one = SatAlert(seq=93, received_at=1_790_000_000, code="2", village=12,
                   sender="fp-ef6f0623a3")
    two = SatAlert(seq=94, received_at=1_790_000_030, code="1", village=12,
                   sender="fp-ef6f0623a3", language="sw")
    bits = len(encode_message("KWJ", "71b6", [one])) * 8
    both = len(encode_message("KWJ", "71b6", [one, two])) * 8
    assert both - bits <= 4 * 8


def test_decoding_errors_say_where():
    good = encode_message("KWJ", "71b6", EXAMPLE_ALERTS[:1])
    with pytest.raises(SbdFormatError, match="alert 1 sender"):
        decode_message(good[:-2])
    with pytest.raises(SbdFormatError, match="unexpected bits"):
        decode_message(good + b"\x00")
    with pytest.raises(SbdFormatError, match="neither"):
        decode_message(good[:11] + b"\x00\x00")


def test_the_encoder_refuses_what_must_not_leave_the_base():
    with pytest.raises(ValueError, match="pseudonym"):
        encode_message("KWJ", "71b6", [SatAlert(seq=1, received_at=1, code="2",
                                                sender="+243990000101")])
    with pytest.raises(ValueError, match="1 to 255"):
        encode_message("KWJ", "71b6", [], [])


def test_an_incident_payload_travels_and_comes_back_as_the_same_payload():
    from gateway.alerts.codes import load_codebook
    from gateway.hq.publish import BaseBook, incident_payload
    payload = {
        "schema": 1, "id": "KWJ-71b6-I41", "ref": "KWJ-I0041", "base": "KWJ", "version": 3,
        "state": "seen", "level": "corroborated", "category": "attack",
        "categories": ["attack", "armed_presence"], "codes": ["1", "2"], "severity": "Extreme",
        "urgency": "Immediate", "villages": [{"number": 12, "name": "Kamango"}], "zone": None,
        "first_report_at": "2026-09-21T14:13:20.000Z",
        "last_report_at": "2026-09-21T14:14:35.000Z", "reports": 2, "repeats": 0,
        "throttled_reports": 0, "corroboration": {
            "senders": 2, "registered_senders": 1, "unverified_senders": 1, "channels": ["sms"],
            "operator_confirmed": False},
        "alerts": ["KWJ-71b6-193", "KWJ-71b6-195"], "merged_into": None,
        "updated_at": "2026-09-21T14:20:00.000Z", "change": {"action": "seen"}}
    carried = to_sat_incident(payload, "71b6")
    assert carried == EXAMPLE_INCIDENT
    message = decode_message(encode_message("KWJ", "71b6", [], [carried]))
    assert isinstance(message, Message)
    back = incident_payload(message.incidents[0], message,
                            BaseBook(load_codebook(), {12: "Kamango"}))
    assert back == payload | {"updated_at": None, "change": None}
