"""Every acknowledgement fits one GSM-7 SMS, in every language, for every code."""

from __future__ import annotations

import pytest

from gateway.alerts.acks import TEMPLATES, AckFacts, render_ack
from gateway.alerts.codes import load_codebook
from gateway.alerts.text import gsm7_length, to_gsm7

BOOK = load_codebook()
LONGEST_VILLAGE = "Kamango-Mbau-Lubero-Beni-Butembo-Oicha"


@pytest.mark.parametrize("language", sorted(TEMPLATES))
@pytest.mark.parametrize("code", sorted(BOOK.codes))
@pytest.mark.parametrize("village", [None, "Kamango", LONGEST_VILLAGE])
def test_alert_acknowledgement_fits_one_gsm7_sms(language, code, village):
    text = render_ack(AckFacts("KWJ-10193", "23:59", BOOK.codes[code], village), language)
    assert gsm7_length(text) is not None, f"not GSM-7: {text!r}"
    assert gsm7_length(text) <= 160
    assert text.startswith("KWJ-10193 ")
    assert f" {code})" in text  # the code as understood
    assert "23:59" in text
    if village == "Kamango":
        assert "Kamango" in text


@pytest.mark.parametrize("language", sorted(TEMPLATES))
def test_unparsed_acknowledgement_says_a_person_will_read_it(language):
    text = render_ack(AckFacts("KWJ-0007", "03:12"), language)
    assert gsm7_length(text) <= 160
    assert text.startswith("KWJ-0007 ")
    assert {"fr": "personne", "sw": "Mtu", "en": "person"}[language] in text


def test_language_words_differ():
    facts = AckFacts("KWJ-0001", "10:00", BOOK.codes["2"], "Kamango")
    texts = {lang: render_ack(facts, lang) for lang in ("fr", "sw", "en")}
    assert "Attaque en cours" in texts["fr"]
    assert "Shambulio linaendelea" in texts["sw"]
    assert "Attack under way" in texts["en"]


def test_to_gsm7_folds_what_gsm7_cannot_carry():
    assert to_gsm7("reçu à l'école, tête") == "recu à l'école, tete"
    assert gsm7_length(to_gsm7("“quotes” – … 🙏")) is not None
    assert gsm7_length("€[]") == 6  # extension characters cost two septets
