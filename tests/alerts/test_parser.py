"""The forgiving grammar, on real-looking messages typed under stress."""

from __future__ import annotations

import pytest

from gateway.alerts.parser import AlertParser, edit_distance
from tests.conftest import VILLAGES


@pytest.fixture(scope="module")
def parser():
    from gateway.alerts.codes import load_codebook

    return AlertParser(load_codebook(), VILLAGES)


# text -> (code, language hint, village number, count, free text)
CASES = [
    ("2 KAMANGO", ("2", None, 12, None, "")),
    ("alerte 2 kamango 15 hommes armés", ("2", "fr", 12, 15, "hommes armés")),
    ("hatari 3", ("3", "sw", None, None, "")),
    ("A*1*204#", ("1", None, 204, None, "")),
    ("ATTAQUE Kamango", ("2", "fr", 12, None, "")),
    ("attaque à Kamangu ce matin", ("2", "fr", 12, None, "ce matin")),
    ("ALERT 6, nobeli. 200 people", ("6", "en", 31, 200, "people")),
    ("*2*204#", ("2", None, 204, None, "")),
    ("2#", ("2", None, None, None, "")),
    ("Alerte.4.Kasindi Port.maisons", ("4", "fr", 47, None, "maisons")),
    ("watu wenye silaha Mutwanga", ("1", "sw", 204, None, "")),
    ("HOMMES ARMES a nobili", ("1", "fr", 31, None, "")),
    ("attaqe kamang", ("2", "fr", 12, None, "")),  # one typo in the code word and the village
    ("enlèvement 204 3 enfants", ("3", "fr", 204, 3, "enfants")),
    ("9", ("9", None, None, None, "")),
    ("code 0 test", ("0", None, None, None, "test")),
    ("kodi 5 Kamango", ("5", "sw", 12, None, "")),
    ("A 2 999 hommes", ("2", None, None, 999, "hommes")),  # 999 is no village: a count
    ("shooting near Nobili", ("2", "en", 31, None, "")),
    # counts of one, two and four digits after one- and two-word villages
    ("1 Kamango 3", ("1", None, 12, 3, "")),
    ("2 Mutwanga 5 hommes", ("2", None, 204, 5, "hommes")),
    ("4 Kasindi Port 7", ("4", None, 47, 7, "")),
    ("alerte 4 Kasindi Port 8 maisons brûlées", ("4", "fr", 47, 8, "maisons brûlées")),
    ("1 Kamang 3", ("1", None, 12, 3, "")),  # a typo in the village, then a count
    ("1 Mutwang 5", ("1", None, 204, 5, "")),
    ("4 Kasindi Prt 6", ("4", None, 47, 6, "")),
    ("hatari 1 Nobili 3 watu", ("1", "sw", 31, 3, "watu")),
    ("attaque Kamango 9", ("2", "fr", 12, 9, "")),
    ("2 Kamango 12", ("2", None, 12, 12, "")),
    ("3 Kasindi Port 12 enfants", ("3", None, 47, 12, "enfants")),
    ("watu wenye silaha Mutwanga 40", ("1", "sw", 204, 40, "")),
    ("6 Mutwanga 1500", ("6", None, 204, 1500, "")),
    ("ALERT 6 Kasindi Port 1200 people", ("6", "en", 47, 1200, "people")),
    ("alerte 6 Kamango 2500 personnes", ("6", "fr", 12, 2500, "personnes")),
    ("kodi 4 Nobili 7 nyumba", ("4", "sw", 31, 7, "nyumba")),
    ("alert 3 Kasindi Port 25 children", ("3", "en", 47, 25, "children")),
    ("1 Kasindi 4", ("1", None, 47, 4, "")),
    ("2 Nobeli 12 morts", ("2", None, 31, 12, "morts")),
    ("2 12 3", ("2", None, 12, 3, "")),
    ("A*2*204*5#", ("2", None, 204, 5, "")),
    # a phone number is never a count (nor a village): it stays in the text, scrubbed on the way out
    ("2 Kamango 0990000102 rappelez", ("2", None, 12, None, "0990000102 rappelez")),
    ("2 Kamango 099 000 0104", ("2", None, 12, None, "099 000 0104")),
    ("2 Kamango 099.000.0105 svp", ("2", None, 12, None, "099.000.0105 svp")),
    ("1 Kasindi Port +243 990 000 109", ("1", None, 47, None, "+243 990 000 109")),
    ("2 Kamango 3 0990000102", ("2", None, 12, 3, "0990000102")),
    ("alerte 2 Mutwanga 10 0990000102 rappelez", ("2", "fr", 204, 10, "0990000102 rappelez")),
    ("2 Kasindi Port 0990000102", ("2", None, 47, None, "0990000102")),
    ("2 0990000102", ("2", None, None, None, "0990000102")),
    ("3 Mutwanga 12345 personnes", ("3", None, 204, None, "12345 personnes")),  # 5 digits
    ("2 Kamango 14:30", ("2", None, 12, None, "14:30")),  # a time is not a count either
    ("2 Kamango 3 14:30 ce matin", ("2", None, 12, 3, "14:30 ce matin")),
    ("kamnago attaque", (None, None, None, None, "kamnago attaque")),
    ("attaque Kamnago", ("2", "fr", 12, None, "")),  # two letters swapped: one typo
]

UNPARSED = [
    "Bonjour, il y a des problèmes ici",
    "hatari",
    "A",
    "",
    "   ",
    "Merci pour votre aide 🙏",
    "15 hommes armés à Kamango",
]


@pytest.mark.parametrize(("text", "expected"), CASES)
def test_codes_villages_counts_and_text(parser, text, expected):
    parsed = parser.parse(text)
    village = parsed.village.number if parsed.village else None
    assert (parsed.code, parsed.language, village, parsed.count, parsed.text) == expected


@pytest.mark.parametrize("text", UNPARSED)
def test_messages_without_a_code_are_kept_whole(parser, text):
    parsed = parser.parse(text)
    assert parsed.code is None
    assert parsed.text == text.strip()


def test_edit_distance_gives_up_beyond_the_limit():
    assert edit_distance("kamango", "kamangu", 1) == 1
    assert edit_distance("kamango", "kasindi", 1) == 2  # limit + 1
    assert edit_distance("abc", "abc", 0) == 0
    assert edit_distance("kamango", "kamnago", 1) == 1  # a swap of neighbours is one typo


@pytest.mark.parametrize("text", ["2 kamango ٣", "2 kamango " + "9" * 5000, "٢ kamango"])
def test_only_ascii_digits_of_a_sane_length_make_numbers(parser, text):
    """Digits of other scripts are kept as text, and a run of thousands of digits (which
    int() refuses beyond 4,300) neither raises nor becomes a count."""
    parsed = parser.parse(text)
    assert parsed.count is None
    assert text.split()[-1] in parsed.text or parsed.code is None
