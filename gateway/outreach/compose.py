"""Compose, preview and send a broadcast: the functions the CLI, headquarters' commands and the
console call.

`draft` checks what was asked (a target, a template with its parameters or a free text, the
languages); `preview` says who it reaches by channel and language, what each language's message
costs (GSM-7 or UCS-2, one SMS or several), the SMS count, the cost against the SIM's last known
balance and the day's budget; `send` writes it all in one transaction (the broadcast, one
recipient row and one outbox row per SMS recipient, the HF bulletin's frames), refusing to go
over the daily budget unless forced. The daemon's GSM and HF workers then send it.
"""

from __future__ import annotations

import time
from collections import Counter
from dataclasses import dataclass, field

from sqlite_utils import Database

from gateway.alerts.codes import LANGUAGES
from gateway.alerts.text import to_ascii
from gateway.config import Config
from gateway.gsm.sms_pdu import message_shape
from gateway.hf.ax25 import MAX_INFO
from gateway.outreach.config import outreach_settings
from gateway.outreach.target import Audience, Target, Term, parse_target, select
from gateway.outreach.templates import Book, Template
from gateway.store import Store, deliveries, groups, outbox
from gateway.store import broadcasts as broadcast_store
from gateway.store import links as link_status
from gateway.store import registry as reg
from gateway.timeutil import day_start, local_zone

FOLLOW_UP_PRIORITY, BROADCAST_PRIORITY = 4, 5  # after every acknowledgement (0-3)
MAX_TEXT = 612  # characters: four SMS of GSM-7 (ten of UCS-2); a warning, not a letter
HF_FRAME = min(MAX_INFO, 200)  # a radio's line: one UI frame, under most displays' limit


class BudgetExceeded(ValueError):
    """The broadcast would take the day's SMS over `daily_sms_budget`."""


@dataclass(frozen=True)
class Draft:
    target: Target
    template: Template | None = None
    params: dict[str, str] = field(default_factory=dict)
    texts: dict[str, str] = field(default_factory=dict)  # free text by language ("*": any)
    languages: tuple[str, ...] = ()  # only recipients reading these (empty: every language)

    def text(self, language: str, base_language: str) -> str:
        """What a recipient reading `language` receives."""
        if self.template is not None:
            return self.template.render(language, self.params)
        return (self.texts.get(language) or self.texts.get("*") or self.texts.get(base_language)
                or next(iter(self.texts.values())))


def draft(book: Book, target: str, template: str | int | None = None,
          params: dict[str, str] | None = None, text: str | dict[str, str] | None = None,
          languages: tuple[str, ...] | list[str] = ()) -> Draft:
    """A broadcast as asked; ValueError says what is wrong (exactly one of a template or a free
    text; the template's parameters; a text of at most four SMS; known languages)."""
    if (template is None) == (not text):
        raise ValueError("give a template or a text (one of them)")
    wanted = tuple(sorted({language.strip().lower() for language in languages}))
    if set(wanted) - set(LANGUAGES):
        raise ValueError(f"languages are {', '.join(LANGUAGES)}")
    chosen = book.template(template) if template is not None else None
    texts = {"*": text} if isinstance(text, str) else dict(text or {})
    if set(texts) - {"*", *LANGUAGES} or any(not (t or "").strip() for t in texts.values()):
        raise ValueError(f"a text for each of {', '.join(LANGUAGES)}, or one for all")
    result = Draft(parse_target(target), chosen, dict(params or {}),
                   {k: v.strip() for k, v in texts.items()}, wanted)
    for language in LANGUAGES:  # fills the template's parameters now: errors before any send
        if len(result.text(language, "fr")) > MAX_TEXT:
            raise ValueError(f"the text is longer than {MAX_TEXT} characters (four SMS)")
    return result


@dataclass(frozen=True)
class Message:
    """What the recipients reading one language receive."""

    language: str
    text: str
    encoding: str  # GSM-7 or UCS-2
    parts: int  # SMS per recipient
    sms_recipients: int
    hf_recipients: int


@dataclass(frozen=True)
class Preview:
    draft: Draft
    audience: Audience
    messages: dict[str, Message]
    by_channel: dict[str, dict[str, int]]  # channel -> language -> recipients
    sms: int  # SMS parts in all
    cost: float | None  # sms * [outreach] sms_cost (None: no cost configured)
    balance: float | None  # the SIM's last known balance
    balance_checked_at: str | None
    budget: int
    used_today: int  # broadcast and follow-up SMS sent today and still queued
    hf_frames: int

    @property
    def over_budget(self) -> bool:
        return self.used_today + self.sms > self.budget

    @property
    def recipients(self) -> int:
        return len(self.audience.recipients)


def preview(store: Store, config: Config, chosen: Draft, now: float | None = None) -> Preview:
    """Who `chosen` reaches and what it costs, from the store as it is now."""
    return _preview(store, config, chosen, time.time() if now is None else now)


def _preview(store: Store, config: Config, chosen: Draft, now: float) -> Preview:
    db = store.db
    settings = outreach_settings(config)
    target = chosen.target if not chosen.languages else Target(
        (*chosen.target.terms, Term("language", chosen.languages)))
    available = {"sms"} if config.gsm is not None else set()
    if config.hf is not None and config.hf.acknowledges:
        available.add("hf")
    audience = select(target, broadcast_store.audience(db), reg.villages(store),
                      groups.memberships(db), {g.name for g in groups.groups(db)},
                      config.base.language, available)
    by_channel: dict[str, Counter[str]] = {}
    for recipient in audience.recipients:
        by_channel.setdefault(recipient.channel, Counter())[recipient.language] += 1
    messages = {}
    for language in sorted({r.language for r in audience.recipients}):
        text = chosen.text(language, config.base.language)
        encoding, parts = message_shape(text)
        messages[language] = Message(language, text, encoding, parts,
                                     by_channel.get("sms", Counter())[language],
                                     by_channel.get("hf", Counter())[language])
    sms = sum(m.parts * m.sms_recipients for m in messages.values())
    credit = link_status.all_links(db).get("credit", {})
    balance = credit.get("balance")
    used = deliveries.sent_today(db, day_start(now, local_zone(config.base.timezone))) \
        + deliveries.queued_parts(db)
    frames = sum(len(hf_frames(f"{config.base.id}-B0000", m.text)) for m in messages.values()
                 if m.hf_recipients)
    return Preview(chosen, audience, messages, {c: dict(v) for c, v in by_channel.items()}, sms,
                   sms * settings.sms_cost if settings.sms_cost else None,
                   float(balance) if isinstance(balance, int | float) else None,
                   credit.get("checked_at"), settings.daily_sms_budget, used, frames)


def send(store: Store, config: Config, chosen: Draft, by: str, origin: str,
         counter: int | None = None, force: bool = False,
         now: float | None = None) -> tuple[broadcast_store.BroadcastRow, Preview]:
    """Queue the broadcast for its recipients, in one transaction (the audience and the budget
    are read again inside it). BudgetExceeded unless `force`; ValueError when it reaches nobody."""
    now = time.time() if now is None else now
    settings = outreach_settings(config)
    with store.transaction() as db:
        seen = _preview(store, config, chosen, now)
        if not seen.recipients:
            raise ValueError("the target reaches nobody"
                             + (f" ({seen.audience.stopped} sent STOP)" if seen.audience.stopped
                                else ""))
        if seen.over_budget and not force:
            raise BudgetExceeded(
                f"{seen.sms} SMS would take today's broadcasts and follow-ups to "
                f"{seen.used_today + seen.sms}, over the budget of {seen.budget} "
                "([outreach] daily_sms_budget; an administrator may force it)")
        broadcast_id = broadcast_store.insert(
            db, f"{config.base.id}-{store.instance}", broadcast_store.NewBroadcast(
                str(chosen.target), chosen.template.number if chosen.template else None,
                chosen.params, None if chosen.template else chosen.texts.get("*") or
                next(iter(chosen.texts.values())), chosen.languages,
                {lang: m.text for lang, m in seen.messages.items()}, origin, by, counter,
                force and seen.over_budget, seen.sms), now)
        row = broadcast_store.get(db, broadcast_id)
        assert row is not None
        bulletin = {lang: _queue_bulletin(db, row.ref, m.text, settings.hf_destination, now)
                    for lang, m in seen.messages.items() if m.hf_recipients}
        for recipient in seen.audience.recipients:
            message = seen.messages[recipient.language]
            if recipient.channel == "sms":
                outbox_id = outbox.enqueue(db, "sms", BROADCAST_PRIORITY, now,
                                           recipient=recipient.member.phone, body=message.text)
            else:
                outbox_id = bulletin[recipient.language]
            broadcast_store.add_recipient(db, broadcast_id, recipient.member.focal_id,
                                          recipient.channel, recipient.language, outbox_id,
                                          message.parts if recipient.channel == "sms" else 1, now)
    return row, seen


def _queue_bulletin(db: Database, ref: str, text: str, destination: str, now: float) -> int:
    """The HF bulletin in one language: UI frames to the group address; the last one's row."""
    last = 0
    for frame in hf_frames(ref, text):
        last = outbox.enqueue(db, "hf", BROADCAST_PRIORITY, now, recipient=destination,
                              body=frame)
    return last


def hf_frames(ref: str, text: str) -> list[str]:
    """A text as UI frames' information fields, in plain ASCII, cut between words; each starts
    with the broadcast's reference (and `2/3` when there are several)."""
    words, frames, current = to_ascii(text).split(), [], ""
    room = HF_FRAME - len(ref) - 8
    for word in words:
        if current and len(current) + 1 + len(word) > room:
            frames.append(current)
            current = ""
        current = f"{current} {word}".strip()[:room]
    frames.append(current)
    if len(frames) == 1:
        return [f"{ref} {frames[0]}"]
    return [f"{ref} {i}/{len(frames)} {frame}" for i, frame in enumerate(frames, 1)]


def cancel(store: Store, broadcast_id: int, now: float | None = None) -> int:
    """Stop what has not left yet (the messages with the network cannot be called back); how
    many recipients will not get it."""
    now = time.time() if now is None else now
    with store.transaction() as db:
        row = broadcast_store.get(db, broadcast_id)
        if row is None:
            raise ValueError(f"no broadcast {broadcast_id}")
        if row.cancelled_at is not None:
            return 0
        stopped, rows = broadcast_store.cancel_queued(db, broadcast_id, now)
        for outbox_id in rows + broadcast_store.bulletin_rows(db, row.ref):
            outbox.drop(db, outbox_id, f"{row.ref} cancelled", now)
        broadcast_store.mark_cancelled(db, broadcast_id, now)
    return stopped
