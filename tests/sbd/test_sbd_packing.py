"""Packing stored alerts into satellite messages: order kept, size and budget respected, free
text cut sensibly, nothing personal on the wire."""

from __future__ import annotations

from dataclasses import replace

from hypothesis import given, settings
from hypothesis import strategies as st

from gateway.sbd.batch import SatAlert
from gateway.sbd.packed import decode_message
from gateway.sbd.packing import MO_MAX, TEXT_CAP, clip_text, credits, pack, to_sat_alert
from gateway.store.alerts import AlertRow


def row(seq: int, **changes: object) -> AlertRow:
    values = dict(id=seq, uid=f"KWJ-71b6-{seq}", seq=seq, ref=f"KWJ-{seq:04d}", message_id=seq,
                  channel="sms", code="2", category="attack", severity="Extreme",
                  urgency="Immediate", village_number=12, village_name="Kamango", count=None,
                  text="", sender="+243990000101", registered=True, language="fr", parts=1,
                  repeats=1, partial=False, received_at=1_790_000_000.25 + seq, created_at=0.0)
    return AlertRow(**{**values, **changes})


def pseudonym(number):
    return None if number is None else "fp-" + (number[-10:].replace("+", "0")).rjust(10, "0")


def test_credits_are_counted_per_started_fifty_bytes():
    assert [credits(n) for n in (1, 50, 51, 100, 340)] == [1, 1, 2, 2, 7]


def test_an_alert_leaves_with_its_pseudonym_and_redacted_text():
    alert = to_sat_alert(row(5, text="Kahindo dit 15 hommes"), pseudonym,
                         lambda text: text.replace("Kahindo", "[name]"))
    assert alert.sender == "fp-3990000101"
    assert alert.text == "[name] dit 15 hommes"
    assert alert.received_at == 1_790_000_005  # whole seconds


def test_long_text_is_cut_at_a_word_and_marked():
    long = "des hommes armés traversent la rivière vers Kamango depuis ce matin"
    alert = to_sat_alert(row(1, text=long), pseudonym, str)
    assert alert.text_truncated
    assert len(alert.text.encode()) <= TEXT_CAP
    assert long.startswith(alert.text) and long[len(alert.text)] == " "


@given(st.text(min_size=1, max_size=80), st.integers(1, 60))
@settings(deadline=None)
def test_clipped_text_is_valid_utf8_within_the_limit(text, limit):
    clipped, cut = clip_text(text, limit)
    assert len(clipped.encode()) <= limit
    assert cut == (len(text.encode()) > limit)
    assert text.startswith(clipped)


def test_alerts_are_taken_in_the_order_given_until_one_no_longer_fits():
    alerts = [to_sat_alert(row(seq, sender=f"+2439900{seq:05d}"), pseudonym, str)
              for seq in range(1, 80)]
    packed = pack("KWJ", "71b6", alerts)
    assert packed is not None and len(packed.data) <= MO_MAX
    assert list(packed.alerts) == alerts[:len(packed.alerts)]
    assert decode_message(packed.data).alerts == tuple(sorted(packed.alerts, key=lambda a: a.seq))
    assert len(pack("KWJ", "71b6", alerts, max_bytes=100).data) <= 100


def test_the_last_alert_s_text_is_cut_to_fill_the_message():
    small = [to_sat_alert(row(seq, sender=f"+2439900{seq:05d}"), pseudonym, str)
             for seq in range(1, 30)]
    room_left = 340 - len(pack("KWJ", "71b6", small).data)
    wordy = SatAlert(seq=100, received_at=1_790_000_100, code=None, sender="fp-0123456789",
                     registered=False, text="x " * 60)
    packed = pack("KWJ", "71b6", [*small, wordy])
    assert room_left > 20
    assert packed.alerts[-1].seq == 100 and packed.alerts[-1].text_truncated
    assert len(packed.data) <= MO_MAX


def test_a_coded_alert_goes_without_its_text_rather_than_wait():
    alerts = [to_sat_alert(row(1), pseudonym, str), replace(
        to_sat_alert(row(2), pseudonym, str), text="y" * 30)]
    bare = replace(alerts[1], text="", text_truncated=True)
    exact = len(pack("KWJ", "71b6", [alerts[0], bare]).data)  # the second without its text
    packed = pack("KWJ", "71b6", alerts, max_bytes=exact)
    assert [a.text for a in packed.alerts] == ["", ""]
    assert packed.alerts[1].text_truncated


def test_nothing_fits_in_too_small_a_room():
    assert pack("KWJ", "71b6", [to_sat_alert(row(1), pseudonym, str)], max_bytes=10) is None
