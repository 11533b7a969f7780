"""Free text leaving the base: numbers, names and callsigns go however they are typed; ordinary
alert text stays."""

from __future__ import annotations

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from gateway.alerts.registry_cache import RegistryCache
from gateway.store import registry as reg


@pytest.fixture
def redact(registered, codebook):
    """The registry of `registered` (Kahindo Masika +243990000101, Baraka Mumbere ...102,
    Grace Kavira ...103) with two more focal points, one with a callsign."""
    for phone, name, callsign in [("+243990000104", "Jean Paul Kasereka", None),
                                  ("+243990000105", "Sikuli Furaha", "9Q2KAM")]:
        reg.save_focal_point(registered, reg.make_focal_point(registered, phone, name, "12", "fr",
                                                              "+243", callsign))
    return RegistryCache(registered, codebook).redact


SCRUBBED = [
    ("appelez (099) 000 0104 vite", "appelez [number] vite"),
    ("099/000/0105", "[number]"),
    ("tel 099_000_0106", "tel [number]"),
    ("0990,000,108 svp", "[number] svp"),
    ("+243/990/000/109", "[number]"),
    ("+243 990 000 109 ou 0990-000-110", "[number] ou [number]"),
    ("00243 990 000 111", "[number]"),
    ("099.000.0112.", "[number]."),
    ("tel:0990000113", "tel:[number]"),
    ("rappelez 000101", "rappelez [number]"),  # the end of Kahindo Masika's number
    ("rappelez 000 101 merci", "rappelez [number] merci"),
    ("3 blessés, 0990000102 sait", "3 blessés, [number] sait"),
    ("Grace Kavira blessée", "[name] blessée"),
    ("GraceKavira blessée", "[name] blessée"),
    ("KaviraGrace", "[name]"),
    ("Kavyra a vu", "[name] a vu"),
    ("Kavria a vu", "[name] a vu"),  # two letters swapped
    ("KAVÏRA", "[name]"),
    ("JeanPaul a vu", "[name] a vu"),
    ("Jean-Paul Kasereka est là", "[name] est là"),
    ("Kasereka0990000104", "[name][number]"),
    ("S1kuli dit", "[name] dit"),
    ("Furaha_Sikuli", "[name]"),
    ("Baraka Mumbere, 0990 000 102", "[name], [number]"),
    ("9Q2KAM-3 a entendu", "[callsign] a entendu"),
]

KEPT = [
    "2 Kamango 15 hommes armés",
    "attaque à Kamangu ce matin à 14h30",
    "le 23/11/2026 vers 14h, 3 morts et 12 blessés",
    "rendez-vous 2026-11-23 à 06:15",
    "Kasindi Port, 1500 déplacés vers Mutwanga",
    "situation grave, blessé grave",
    "12, 15, 30 et 45 personnes",
    "watu wenye silaha 40 Nobili",
    "Nobeli: tirs depuis 5h, enlèvement de 3 enfants",
    "hatari 3 Mutwanga watoto wametekwa usiku",
    "route Beni-Kasindi, 2 camions, 1.500 personnes",
    "code 9 calme, RAS",
]


@pytest.mark.parametrize(("text", "expected"), SCRUBBED)
def test_numbers_names_and_callsigns_are_scrubbed_however_typed(redact, text, expected):
    assert redact(text) == expected


@pytest.mark.parametrize("text", KEPT)
def test_ordinary_alert_text_is_kept(redact, text):
    assert redact(text) == text



@st.composite
def typed_numbers(draw) -> str:
    """A DRC mobile number as someone might type it: any prefix, groups of 1 to 4 digits, any
    of the separators people use between them."""
    subscriber = draw(st.sampled_from("89")) + draw(st.text("0123456789", min_size=8, max_size=8))
    prefix = draw(st.sampled_from(["0", "+243", "00243", "+243 ", "(0", "243"]))
    digits = subscriber
    groups = []
    while digits:
        size = draw(st.integers(1, 4))
        groups.append(digits[:size])
        digits = digits[size:]
    separators = draw(st.lists(st.sampled_from([" ", ".", "-", "/", "_", ",", " - ", ". "]),
                               min_size=len(groups), max_size=len(groups)))
    if prefix == "(0":  # (099) 000 0104
        separators[0] = ") "
    typed = prefix + "".join(g + s for g, s in zip(groups, separators, strict=True))
    return typed.rstrip(" .-/_,")


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(number=typed_numbers(), count=st.integers(1, 9999))
def test_a_number_typed_any_way_is_scrubbed_and_a_count_beside_it_stays(redact, number, count):
    assert redact(f"{count} morts, appelez {number} vite") == \
        f"{count} morts, appelez [number] vite"


@settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(count=st.integers(0, 9999), other=st.integers(0, 9999), day=st.integers(1, 31),
       month=st.integers(1, 12), year=st.sampled_from(["2026", "26"]), sep=st.sampled_from("/.-"),
       hour=st.integers(0, 23), minute=st.integers(0, 59))
def test_counts_dates_and_times_stay(redact, count, other, day, month, year, sep, hour, minute):
    text = (f"{count} morts le {day:02d}{sep}{month}{sep}{year} à {hour}h{minute:02d}, "
            f"{other} blessés, {day}{sep}{month}{sep}{year} {hour:02d}{minute:02d}")
    assert redact(text) == text
