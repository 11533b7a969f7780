"""Acknowledgement texts: the reference, what was understood and when, in the sender's language.

Every acknowledgement must fit one SMS in the GSM-7 alphabet (160 septets): a focal point's
feature phone shows it whole and the base pays for one message. `render_ack` guarantees it by
dropping the least useful parts first.
"""

from __future__ import annotations

from dataclasses import dataclass

from gateway.alerts.codes import Code
from gateway.alerts.text import SMS_SEPTETS, gsm7_length, to_gsm7

TEMPLATES = {
    "fr": {
        "alert": "{ref} Alerte recue: {label} (code {code}){place}, {time}. La base est informee. Merci.",
        "place": " a {village}",
        "unparsed": "{ref} Message recu a {time}. Une personne de la base va le lire. Merci.",
        "call": "{ref} Votre appel de {time} est enregistre comme alerte. La base est informee. "
                "Merci.",
    },
    "sw": {
        "alert": "{ref} Taarifa imepokelewa: {label} (kodi {code}){place}, saa {time}. "
                 "Kituo kimearifiwa. Asante.",
        "place": " katika {village}",
        "unparsed": "{ref} Ujumbe umepokelewa saa {time}. Mtu wa kituo atausoma. Asante.",
        "call": "{ref} Simu yako ya saa {time} imepokelewa kama taarifa. Kituo kimearifiwa. "
                "Asante.",
    },
    "en": {
        "alert": "{ref} Alert received: {label} (code {code}){place}, {time}. "
                 "The base is informed. Thank you.",
        "place": " in {village}",
        "unparsed": "{ref} Message received at {time}. A person at the base will read it. Thank you.",
        "call": "{ref} Your call at {time} is recorded as an alert. The base is informed. "
                "Thank you.",
    },
}
MAX_VILLAGE = 24


@dataclass(frozen=True)
class AckFacts:
    ref: str
    time: str
    code: Code | None = None
    village: str | None = None
    call: bool = False  # a call without a code gets the call wording, not "a person will read it"


def render_ack(facts: AckFacts, language: str) -> str:
    """The acknowledgement text, in GSM-7, at most one SMS long."""
    templates = TEMPLATES.get(language, TEMPLATES["en"])
    if facts.code is None:
        kind = "call" if facts.call else "unparsed"
        return _fit(templates[kind].format(ref=facts.ref, time=facts.time))
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
