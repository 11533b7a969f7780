"""The broadcast form as `cangw broadcast send` would take it: a target expression built from
the zones, villages, groups and channel ticked (or typed), a template with its parameters or a
free text, the languages; and who a preview reaches, as a page may show them to one user."""

from __future__ import annotations

from dataclasses import dataclass

from starlette.datastructures import FormData

from gateway.console.privacy import shown_identity
from gateway.outreach import compose
from gateway.outreach.templates import Book

TARGET_KINDS = ("zone", "village", "group")  # ticked in the form; each one term of the target


@dataclass(frozen=True)
class Asked:
    """What the form asked, kept to fill the form again and to send what was previewed."""

    target: str
    template: str  # a template's number, or "" for a free text
    params: dict[str, str]
    text: str
    languages: tuple[str, ...]
    force: bool

    def fields(self) -> list[tuple[str, str]]:
        """The form's fields again (hidden in the preview's send button)."""
        fields = [("target", self.target), ("template", self.template), ("text", self.text)]
        fields += [(f"param.{k}", v) for k, v in self.params.items()]
        return fields + [("language", language) for language in self.languages]


def target_of(form: FormData) -> str:
    """The target expression: one typed, else a term per kind ticked (zones, villages, groups,
    a channel) joined by AND, else `all`."""
    typed = str(form.get("target", "")).strip()
    if typed:
        return typed
    terms = []
    for kind in TARGET_KINDS:
        values = [str(v).strip() for v in form.getlist(kind) if str(v).strip()]
        if values:
            terms.append(f"{kind}:{','.join(values)}")
    channel = str(form.get("channel", ""))
    if channel in ("sms", "hf"):
        terms.append(f"channel:{channel}")
    return " AND ".join(terms) or "all"


def asked(form: FormData, book: Book) -> Asked:
    """The form's values; the parameters kept are the chosen template's only."""
    template = str(form.get("template", "")).strip()
    wanted: tuple[str, ...] = ()
    if template.isdigit() and int(template) in book.templates:
        wanted = book.templates[int(template)].params
    params = {name: str(form.get(f"param.{name}", "")) for name in wanted}
    return Asked(target_of(form), template, params, str(form.get("text", "")).strip(),
                 tuple(str(v) for v in form.getlist("language")), form.get("force") == "on")


def draft(book: Book, wanted: Asked) -> compose.Draft:
    """The draft `compose` checks (ValueError says what is wrong, as the CLI says it)."""
    return compose.draft(book, wanted.target, wanted.template or None, wanted.params,
                         wanted.text or None, wanted.languages)


@dataclass(frozen=True)
class RecipientView:
    name: str | None
    identity: str | None  # masked unless the user may see numbers
    channel: str
    language: str


def recipient_views(seen: compose.Preview, names: dict[int, str], full: bool,
                    country_code: str) -> list[RecipientView]:
    shown = []
    for recipient in seen.audience.recipients:
        member = recipient.member
        identity = member.phone if recipient.channel == "sms" else member.callsign
        shown.append(RecipientView(names.get(member.focal_id),
                                   shown_identity(identity, full, country_code),
                                   recipient.channel, recipient.language))
    return sorted(shown, key=lambda r: (r.name or "", r.identity or ""))
