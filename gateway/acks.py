"""Acknowledgement texts: the reference, what was understood and when, in the sender's language.

Every acknowledgement must fit one SMS in the GSM-7 alphabet (160 septets): a focal point's
feature phone shows it whole and the base pays for one message. `render_ack` guarantees it by
dropping the least useful parts first.
"""

from __future__ import annotations

from dataclasses import dataclass

from gateway.codes import Code
from gateway.text import SMS_SEPTETS, gsm7_length, to_gsm7

TEMPLATES = {
    "fr": {
        "alert": "{ref} Alerte recue: {label} (code {code}){place}, {time}. La base est informee. Merci.",
        "place": " a {village}",
        "unparsed": "{ref} Message recu a {time}. Une personne de la base va le lire. Merci.",
    },
    "sw": {
        "alert": "{ref} Taarifa imepokelewa: {label} (kodi {code}){place}, saa {time}. "
                 "Kituo kimearifiwa. Asante.",
        "place": " katika {village}",
        "unparsed": "{ref} Ujumbe umepokelewa saa {time}. Mtu wa kituo atausoma. Asante.",
    },
    "en": {
        "alert": "{ref} Alert received: {label} (code {code}){place}, {time}. "
                 "The base is informed. Thank you.",
        "place": " in {village}",
        "unparsed": "{ref} Message received at {time}. A person at the base will read it. Thank you.",
    },
}
MAX_VILLAGE = 24


@dataclass(frozen=True)
class AckFacts:
    ref: str
    time: str
    code: Code | None = None
    village: str | None = None


def render_ack(facts: AckFacts, language: str) -> str:
    """The acknowledgement text, in GSM-7, at most one SMS long."""
    templates = TEMPLATES.get(language, TEMPLATES["en"])
    if facts.code is None:
        return _fit(templates["unparsed"].format(ref=facts.ref, time=facts.time))
    label = facts.code.label(language)
    village = (facts.village or "")[:MAX_VILLAGE]
    attempts = [(label, village), (label, ""), (label[:20], "")]
    for label_part, village_part in attempts:
        place = templates["place"].format(village=village_part) if village_part else ""
        text = to_gsm7(templates["alert"].format(
            ref=facts.ref, label=label_part, code=facts.code.number, place=place, time=facts.time))
        if (gsm7_length(text) or 0) <= SMS_SEPTETS:
            return text
    return _fit(text)


def _fit(text: str) -> str:
    text = to_gsm7(text)
    while (gsm7_length(text) or 0) > SMS_SEPTETS:
        text = text[:-1]
    return text
