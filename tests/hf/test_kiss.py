"""The KISS and AX.25 codec: properties over generated frames, and bytes captured from direwolf."""

from __future__ import annotations

import contextlib

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from gateway.errors import FrameError
from gateway.hf import kiss
from gateway.hf.ax25 import Address, NotTextFrame, UiFrame
from gateway.hf.callsign import normalise_callsign
from gateway.hf.kiss import Garbage, KissDecoder, KissFrame

# Captured on this machine: gen_packets -B 300 audio of these packets fed to direwolf 1.6,
# read from its KISS TCP port.
CAPTURED = bytes.fromhex(
    "c000aa9c8482a68ae072a26496829ae303f032204b414d414e474fc0"
    "c000aa9c8482a68ae072a26496829ae2a48a9882b240e0ae92888a64406303f0412a312a32303423dbdcdbdd"
    "206b616d616e676f0d0ac0")

# a loaded 2-core machine must not turn a slow example into a failure
unhurried = settings(deadline=None)

calls = st.from_regex(r"[A-Z0-9]{1,6}", fullmatch=True)
addresses = st.builds(Address, calls, st.integers(0, 15), st.booleans())
ui_frames = st.builds(UiFrame, addresses, addresses, st.binary(max_size=256),
                      st.lists(addresses, max_size=8).map(tuple))
# random bytes rarely hold the bytes KISS escapes side by side: mix in streams made of them
payloads = st.one_of(st.binary(max_size=400),
                     st.lists(st.sampled_from(b"\xc0\xdb\xdc\xdd\x00A"), max_size=60).map(bytes))
kiss_frames = st.builds(KissFrame, st.integers(0, 15), st.integers(0, 15), payloads)


def test_captured_direwolf_bytes_decode_to_the_known_messages():
    frames = KissDecoder().feed(CAPTURED)
    assert [(f.port, f.command) for f in frames] == [(0, 0), (0, 0)]
    first, second = (UiFrame.decode(f.data) for f in frames)
    assert (str(first.source), str(first.destination), first.info) == ("9Q2KAM-1", "UNBASE",
                                                                       b"2 KAMANGO")
    assert first.source.flag and first.destination.flag  # gen_packets sets C on both
    assert [str(d) for d in second.digipeaters] == ["RELAY", "WIDE2-1"]
    assert [d.flag for d in second.digipeaters] == [True, False]  # RELAY* has repeated it
    assert second.info == b"A*1*204#\xc0\xdb kamango\r\n"
    # and our encoder writes exactly what direwolf wrote
    assert b"".join(kiss.encode(f.encode()) for f in (first, second)) == CAPTURED


@unhurried
@given(ui_frames)
def test_ax25_encode_then_decode_is_the_identity(frame):
    assert UiFrame.decode(frame.encode()) == frame


@unhurried
@given(kiss_frames)
def test_kiss_encode_then_decode_is_the_identity(frame):
    encoded = kiss.encode(frame.data, frame.port, frame.command)
    assert encoded.count(kiss.FEND) == 2
    assert KissDecoder().feed(encoded) == ([frame] if len(frame.data) <= kiss.MAX_FRAME else [])


@unhurried
@given(st.one_of(st.binary(max_size=600), payloads))
def test_arbitrary_bytes_raise_only_the_codecs_error(data):
    for decode in (UiFrame.decode, kiss.decode, kiss.unescape):
        with contextlib.suppress(FrameError):
            decode(data)
    assert all(isinstance(item, KissFrame | Garbage) for item in KissDecoder().feed(data))


@unhurried
@given(st.lists(kiss_frames, max_size=6), st.lists(st.integers(0, 3000), max_size=8),
       st.integers(0, 3))
def test_a_stream_cut_anywhere_reassembles_the_same_frames(frames, cuts, extra_fends):
    stream = b"".join(bytes([kiss.FEND]) * extra_fends + kiss.encode(f.data, f.port, f.command)
                      for f in frames)
    whole = KissDecoder().feed(stream)
    assert whole == frames
    decoder, pieces, start = KissDecoder(), [], 0
    for cut in sorted({c % (len(stream) + 1) for c in cuts}):
        pieces += decoder.feed(stream[start:cut])
        start = cut
    pieces += decoder.feed(stream[start:])
    assert pieces == frames


def test_several_fends_are_not_empty_frames_and_leading_noise_is_garbage():
    frame = kiss.encode(b"abc")
    items = KissDecoder().feed(b"noise" + b"\xc0" * 5 + frame + b"\xc0" * 3)
    assert items == [Garbage("bytes before the first FEND", 5), KissFrame(0, 0, b"abc")]


def test_type_byte_holds_port_and_command_and_is_escaped():
    encoded = kiss.encode(b"x", port=12, command=0)  # 0xC0 as a type byte must be escaped
    assert encoded == bytes([0xC0, 0xDB, 0xDC]) + b"x" + bytes([0xC0])
    assert KissDecoder().feed(encoded) == [KissFrame(12, 0, b"x")]


def test_bad_escape_and_oversized_frames_are_garbage_and_the_next_frame_survives():
    good = kiss.encode(b"ok")
    stream = b"\xc0\x00ab\xdb\x41cd\xc0" + b"\xc0\x00" + b"x" * 10_000 + b"\xc0" + good
    items = KissDecoder().feed(stream)
    assert [type(i) for i in items] == [Garbage, Garbage, KissFrame]
    assert "FESC" in items[0].reason and "longer than" in items[1].reason
    assert items[2].data == b"ok"


@pytest.mark.parametrize(("data", "error"), [
    (b"", "ends inside the address field"),
    (Address("AB").encode(last=True) + b"\x03\xf0hi", "only one address"),
    (bytes([0x41 << 1 | 1]) + bytes(13) + b"\x03\xf0", "extension bit"),
    (bytes(7) + Address("B").encode(last=True) + b"\x03\xf0", "invalid callsign bytes"),
    (Address("A").encode(False) + Address("B").encode(True) + b"\x03\xf0" + bytes(257),
     "at most 256"),
    (b"".join(Address("D").encode(False) for _ in range(11)), "more than 8 digipeaters"),
])
def test_malformed_ax25_is_refused_with_a_reason(data, error):
    with pytest.raises(FrameError, match=error):
        UiFrame.decode(data)


def test_connected_mode_frames_are_recognised_as_not_text():
    head = Address("A").encode(False) + Address("B").encode(True)
    with pytest.raises(NotTextFrame):
        UiFrame.decode(head + b"\x00\xf0hello")  # an I frame
    assert UiFrame.decode(head + b"\x13\xf0hi").info == b"hi"  # UI with the poll bit


def test_encoder_refuses_what_ax25_cannot_carry():
    with pytest.raises(FrameError):
        UiFrame(Address("TOOLONGX"), Address("B"), b"").encode()
    with pytest.raises(FrameError):
        UiFrame(Address("A"), Address("B"), b"x" * 257).encode()
    with pytest.raises(FrameError):
        UiFrame(Address("A"), Address("B"), b"", (Address("D"),) * 9).encode()


@pytest.mark.parametrize(("raw", "expected"), [
    ("9q2kam-01", "9Q2KAM-1"), ("UNBASE-0", "UNBASE"), (" 1234 ", "1234"), ("ABC-15", "ABC-15"),
    ("ABC-16", None), ("TOOLONG1", None), ("AB CD", None), ("", None), (None, None),
])
def test_callsigns_normalised(raw, expected):
    assert normalise_callsign(raw) == expected
    if expected:
        assert str(Address.parse(expected)) == expected
