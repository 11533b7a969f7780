"""The satellite wire format: encode -> decode is the identity, and no byte string crashes the
decoder (it decodes or raises SbdFormatError); commands authenticate and refuse replays."""

from __future__ import annotations

import contextlib

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from gateway.errors import CommandRejected, SbdFormatError
from gateway.sbd import commands
from gateway.sbd.batch import SatAlert, decode_batch, encode_batch
from gateway.sbd.reply import StatusReply, decode_message, encode_reply, links_text
from gateway.sbd.wire import Reader, unzigzag, varint, zigzag

unhurried = settings(deadline=None)

senders = st.from_regex(r"fp-[0-9a-f]{10}", fullmatch=True)
codes = st.one_of(st.none(), st.from_regex(r"[0-9]{1,15}", fullmatch=True))
channels = st.one_of(st.sampled_from(["sms", "hf"]), st.from_regex(r"[a-z][a-z0-9_]{0,14}",
                                                                   fullmatch=True))
texts = st.text(max_size=60).filter(lambda t: len(t.encode()) <= 255)


@st.composite
def sat_alerts(draw, seq: int) -> SatAlert:
    sender = draw(st.one_of(st.none(), senders))
    text = draw(texts)
    return SatAlert(
        seq=seq, received_at=draw(st.integers(1_600_000_000, 2_100_000_000)), code=draw(codes),
        language=draw(st.sampled_from(["fr", "sw", "en"])), channel=draw(channels),
        village=draw(st.one_of(st.none(), st.integers(0, 100_000))), sender=sender,
        registered=sender is not None and draw(st.booleans()), partial=draw(st.booleans()),
        count=draw(st.one_of(st.none(), st.integers(0, 2**40))), text=text,
        text_truncated=draw(st.booleans()), parts=draw(st.integers(1, 20)),
        repeats=draw(st.integers(1, 300)))


@st.composite
def batches(draw) -> list[SatAlert]:
    seqs = draw(st.lists(st.integers(1, 10**9), min_size=1, max_size=12, unique=True))
    shared = draw(st.lists(senders, min_size=1, max_size=3))
    alerts = [draw(sat_alerts(seq)) for seq in seqs]
    # senders that repeat within a batch use the 1-byte back-reference
    return [a if a.sender is None or not draw(st.booleans())
            else SatAlert(**{**a.__dict__, "sender": draw(st.sampled_from(shared))})
            for a in alerts]


@unhurried
@given(batches(), st.from_regex(r"[A-Z0-9]{2,8}", fullmatch=True),
       st.from_regex(r"[0-9a-f]{4}", fullmatch=True))
def test_encode_then_decode_is_the_identity(alerts, base, instance):
    data = encode_batch(base, instance, alerts)
    if len(data) > 340:  # the packer never makes one; a decoder refuses it
        with pytest.raises(SbdFormatError, match="longer than 340"):
            decode_batch(data)
        return
    decoded = decode_batch(data)
    assert (decoded.base, decoded.instance) == (base, instance)
    assert list(decoded.alerts) == sorted(alerts, key=lambda a: a.seq)
    assert decode_message(data) == decoded
    assert encode_batch(base, instance, list(decoded.alerts)) == data


@unhurried
@given(st.binary(max_size=400))
def test_random_bytes_decode_or_raise_the_one_error(data):
    with contextlib.suppress(SbdFormatError):
        decode_message(data)


def damaged(encoded: bytes, data: st.DataObject) -> bytes:
    """`encoded` with one byte flipped, cut short, or bytes inserted, where `data` draws."""
    changed = bytearray(encoded)
    position = data.draw(st.integers(0, len(changed) - 1))
    action = data.draw(st.sampled_from(["flip", "cut", "insert"]))
    if action == "flip":
        changed[position] ^= data.draw(st.integers(1, 255))
    elif action == "cut":
        del changed[position:]
    else:
        changed[position:position] = data.draw(st.binary(min_size=1, max_size=4))
    return bytes(changed)


@unhurried
@given(batches(), st.data())
def test_damaged_batches_decode_or_raise_the_one_error(alerts, data):
    """Random bytes rarely get past the header: damage real batches too."""
    with contextlib.suppress(SbdFormatError):
        decode_message(damaged(encode_batch("KWJ", "71b6", alerts), data))


def test_a_typical_alert_takes_nine_bytes_and_a_repeated_sender_five():
    one = SatAlert(seq=93, received_at=1_790_000_000, code="2", village=12,
                   sender="fp-ef6f0623a3")
    two = SatAlert(seq=94, received_at=1_790_000_030, code="1", village=12,
                   sender="fp-ef6f0623a3", language="sw")
    header = len(encode_batch("KWJ", "71b6", [one])) - 9
    assert header == 1 + 1 + 3 + 2 + 4 + 1
    assert len(encode_batch("KWJ", "71b6", [one, two])) == header + 9 + 5


def test_the_documented_example_bytes():
    """The worked example in docs/sbd-format.md, byte for byte."""
    alerts = [
        SatAlert(seq=193, received_at=1_790_000_000, code="2", village=12,
                 sender="fp-ef6f0623a3"),
        SatAlert(seq=195, received_at=1_790_000_075, code="1", language="sw", village=204,
                 sender="fp-0123456789", registered=False, count=15, text="hommes armés"),
        SatAlert(seq=196, received_at=1_790_000_070, code=None, channel="hf",
                 sender="fp-ef6f0623a3", text="tirs entendus", text_truncated=True),
    ]
    data = encode_batch("KWJ", "71b6", alerts)
    assert data.hex(" ") == (
        "01 03 4b 57 4a 71 b6 6a b1 3b 80 03 "
        "20 c0 01 00 0c ef 6f 06 23 a3 "
        "19 01 96 01 34 cc 01 01 23 45 67 89 0f 0d 68 6f 6d 6d 65 73 20 61 72 6d c3 a9 73 "
        "fc 00 09 e1 01 00 0d 74 69 72 73 20 65 6e 74 65 6e 64 75 73")


def test_decoding_errors_say_where():
    good = encode_batch("KWJ", "71b6", [SatAlert(seq=1, received_at=10, code="2", village=3,
                                                 sender="fp-ef6f0623a3")])
    with pytest.raises(SbdFormatError, match="alert 1 sender"):
        decode_batch(good[:-2])
    with pytest.raises(SbdFormatError, match="unexpected bytes"):
        decode_batch(good + b"\x00")
    with pytest.raises(SbdFormatError, match="format byte 0x07"):
        decode_message(b"\x07" + good[1:])
    with pytest.raises(SbdFormatError, match="base id"):
        decode_batch(b"\x01\x03kwj" + good[5:])
    with pytest.raises(SbdFormatError, match="shortest form"):
        Reader(b"\x80\x00").varint("v")


def test_the_encoder_refuses_what_must_not_leave_the_base():
    with pytest.raises(ValueError, match="pseudonym"):
        encode_batch("KWJ", "71b6", [SatAlert(seq=1, received_at=1, code="2",
                                              sender="+243990000101")])
    with pytest.raises(ValueError, match="sequence"):
        encode_batch("KWJ", "71b6", [SatAlert(seq=1, received_at=1, code="2")] * 2)


HEADER = "01 03 4b 57 4a 71 b6 6a b1 3b 80 01"  # batch, KWJ, 71b6, 1790000000, one alert
SENDER = "ef 6f 06 23 a3"
EDGE_ERRORS = [  # docs/sbd-format.md, "Edge cases": each of these is an error
    ("28 00 00 82 04 00 0c", "parts"),  # parts written as 0
    ("28 00 00 82 04 01 0c", "parts"),  # parts 1 written out: it is the default
    ("28 00 00 82 08 00 0c", "repeats"),  # repeats written as 0
    (f"e0 00 00 01 32 0c {SENDER}", "code 2 is written in the head byte"),
    ("28 00 00 82 02 03 73 6d 73 0c", "channel 'sms' has a number"),
    ("28 00 00 82 02 02 68 66 0c", "channel 'hf' has a number"),
    (f"20 {varint(2**63).hex()} 00 0c {SENDER}", r"sequence number above 2\^63-1"),
]


@pytest.mark.parametrize("record, error", EDGE_ERRORS)
def test_documented_edge_cases_are_errors(record, error):
    with pytest.raises(SbdFormatError, match=error):
        decode_message(bytes.fromhex(f"{HEADER} {record}"))


def test_documented_edge_cases_that_are_allowed():
    unparsed_without_text, village_0, code_02 = (
        decode_batch(bytes.fromhex(f"{HEADER} {record}")).alerts[0] for record in
        (f"f0 00 00 0c {SENDER}", f"20 00 00 00 {SENDER}", f"e0 00 00 02 30 32 0c {SENDER}"))
    assert (unparsed_without_text.code, unparsed_without_text.text) == (None, "")
    assert village_0.village == 0 and code_02.code == "02"
    assert village_0.sender == "fp-ef6f0623a3"  # pseudonyms in lowercase hex


def test_an_mo_message_over_340_bytes_is_an_error():
    alerts = [SatAlert(seq=n, received_at=1_790_000_000, code="2", village=12,
                       sender="fp-ef6f0623a3") for n in range(1, 80)]
    data = encode_batch("KWJ", "71b6", alerts)
    assert len(data) > 340
    with pytest.raises(SbdFormatError, match="longer than 340 bytes"):
        decode_message(data)
    with pytest.raises(SbdFormatError, match="longer than 340 bytes"):
        decode_batch(data)


def test_varints_beyond_64_bits_are_errors():
    assert Reader(b"\xff" * 9 + b"\x01").varint("v") == 2**64 - 1
    with pytest.raises(SbdFormatError, match="larger than 64 bits"):
        Reader(b"\xff" * 9 + b"\x02").varint("v")
    with pytest.raises(SbdFormatError, match="longer than 10 bytes"):
        Reader(b"\xff" * 10 + b"\x01").varint("v")


@pytest.mark.parametrize("signal, links, error", [
    (9, "gsm=up", "signal 9"), (254, "gsm=up", "signal 254"),
    (3, "gsm=UP", "links"), (3, "gsm=up  mqtt=down", "links"), (3, "gsm", "links"),
    (3, "gsm=up mqtt=", "links"), (3, "=up", "links")])
def test_a_status_reply_outside_its_grammar_is_an_error(signal, links, error):
    good = StatusReply("KWJ", "71b6", 1_790_000_000, 5, 3, 1, 50, 0, 0, 7, "gsm=up")
    data = encode_reply(good)
    assert decode_message(data) == good
    damaged = bytearray(data[:-7] + bytes([len(links)]) + links.encode())  # other links
    damaged[11 + 4] = signal  # after the header (11 bytes) and the counter
    with pytest.raises(SbdFormatError, match=error):
        decode_message(bytes(damaged))


def test_the_links_text_keeps_whole_pairs_within_255_bytes():
    states = {f"link{n:02d}": "a" * 9 for n in range(40)}  # 16 bytes a pair
    text = links_text(states)
    assert len(text) == 15 * 16 + 14 and text.endswith(" link14=aaaaaaaaa")  # 16 would not fit
    assert links_text({"gsm": "up", "sbd": "x" * 16}) == "gsm=up"  # a state over 15 letters
    assert links_text({}) == "-"
    assert links_text({"gsm": "up", "Bad-Name": "up", "hf": "Down!"}) == "gsm=up"


@given(st.integers(-(2**40), 2**40))
def test_zigzag_round_trips(value):
    assert unzigzag(zigzag(value)) == value
    assert Reader(varint(zigzag(value))).varint("v") == zigzag(value)


@unhurried
@given(st.integers(0, 2**32 - 1), st.one_of(st.none(), st.integers(0, 5)),
       st.lists(st.integers(0, 70_000), min_size=4, max_size=4), st.integers(0, 10**6),
       st.lists(st.tuples(*[st.from_regex(r"[a-z][a-z0-9_]{0,14}", fullmatch=True)] * 2),
                max_size=5).map(lambda pairs: " ".join(f"{n}={s}" for n, s in pairs)))
def test_status_reply_round_trips(counter, signal, numbers, last_seq, links):
    reply = StatusReply("KWJ", "71b6", 1_790_000_000, counter, signal, *numbers, last_seq,
                        links or "-")
    decoded = decode_message(encode_reply(reply))
    assert decoded == StatusReply("KWJ", "71b6", 1_790_000_000, counter, signal,
                                  *(min(n, 65535) for n in numbers), last_seq, links or "-")


KEY = b"0123456789abcdef0123456789abcdef"


def test_a_signed_command_verifies_once():
    message = commands.sign(KEY, "KWJ", commands.Command(1_790_000_000, commands.PING))
    command = commands.verify(KEY, "KWJ", message, last_counter=0)
    assert (command.name, command.counter, command.argument) == ("ping", 1_790_000_000, b"")
    with pytest.raises(CommandRejected, match="replayed"):
        commands.verify(KEY, "KWJ", message, last_counter=command.counter)


YEAR = 366 * 86400


def test_a_counter_absurdly_far_ahead_is_refused_unless_the_key_is_new():
    """Else one command with counter 2**32-1 would lock out every later one."""
    last = 1_790_000_000
    far = commands.sign(KEY, "KWJ", commands.Command(2**32 - 1, commands.PING))
    with pytest.raises(CommandRejected, match="more than a year ahead"):
        commands.verify(KEY, "KWJ", far, last_counter=last)
    near = commands.sign(KEY, "KWJ", commands.Command(last + YEAR, commands.PING))
    assert commands.verify(KEY, "KWJ", near, last_counter=last).counter == last + YEAR
    assert commands.verify(KEY, "KWJ", far, last_counter=0).counter == 2**32 - 1  # a new key


def test_the_last_counter_is_the_keys_own_so_a_new_key_starts_afresh():
    other = b"a-new-key-after-a-rotation-000000"
    accepted = [commands.sign(KEY, "KWJ", commands.Command(n, commands.PING))
                for n in (1_790_000_000, 2**32 - 1, 1_790_000_500)]
    assert commands.last_counter(KEY, "KWJ", accepted) == 2**32 - 1
    assert commands.last_counter(other, "KWJ", accepted) == 0
    assert commands.last_counter(KEY, "BNI", accepted) == 0
    assert commands.last_counter(KEY, "KWJ", [b"\x81", b""]) == 0


def test_headquarters_counts_from_the_clock_within_a_year_of_its_last():
    assert commands.next_counter(0, 1_790_000_000.7) == 1_790_000_000
    assert commands.next_counter(1_790_000_000, 1_790_000_000) == 1_790_000_001
    assert commands.next_counter(1_790_000_000, 1_790_000_000 + 5 * YEAR) == (
        1_790_000_000 + YEAR)  # a clock years ahead: the base would refuse more
    with pytest.raises(ValueError, match="new key"):
        commands.next_counter(2**32 - 1, 1_790_000_000)


@pytest.mark.parametrize("damage", [
    lambda m: m[:5] + bytes([m[5] ^ 1]) + m[6:],  # another command
    lambda m: m[:1] + (int.from_bytes(m[1:5], "big") + 1).to_bytes(4, "big") + m[5:],
    lambda m: m[:-1] + bytes([m[-1] ^ 0x80]),  # the tag
])
def test_an_altered_command_fails_authentication(damage):
    message = commands.sign(KEY, "KWJ", commands.Command(5, commands.PING))
    with pytest.raises(CommandRejected, match="authentication"):
        commands.verify(KEY, "KWJ", damage(message), 0)


def test_a_command_for_another_base_or_key_fails():
    message = commands.sign(KEY, "KWJ", commands.Command(5, commands.BROADCAST, b"hello"))
    with pytest.raises(CommandRejected):
        commands.verify(KEY, "BNI", message, 0)
    with pytest.raises(CommandRejected):
        commands.verify(KEY[::-1], "KWJ", message, 0)
    assert commands.verify(KEY, "KWJ", message, 0).argument == b"hello"


@unhurried
@given(st.binary(max_size=300))
def test_random_mt_bytes_never_pass_or_crash(data):
    with pytest.raises((CommandRejected, SbdFormatError)):
        commands.verify(KEY, "KWJ", data, 0)
