"""`cangw broadcast ...`: warn the communities, and follow what became of every message."""

from __future__ import annotations

import time

import click

from gateway.cli.common import CliContext, audit, emit, json_option, local_time, operator, pass_context
from gateway.errors import GatewayError
from gateway.outreach import compose
from gateway.outreach.config import outreach_settings
from gateway.outreach.summary import summary
from gateway.outreach.templates import Book, load_book
from gateway.store import Store
from gateway.store import broadcasts as broadcast_store
from gateway.store import follow_ups as follow_store
from gateway.store.broadcasts import STATES, BroadcastRow


@click.group()
def broadcast() -> None:
    """Broadcasts to villages, zones and groups of focal points, with delivery reports."""


def _book(ctx: CliContext) -> Book:
    try:
        return load_book(outreach_settings(ctx.config).templates)
    except GatewayError as exc:
        raise click.ClickException(str(exc)) from None


@broadcast.command("send")
@click.option("--target", required=True,
              help="Who: 'all', or terms such as 'zone:north AND group:chiefs' (village:, zone:, "
                   "group:, language:, channel:; commas for alternatives).")
@click.option("--template", help="A template of the book, by number or name "
                                 "(cangw broadcast templates).")
@click.option("--param", "params", multiple=True, metavar="NAME=VALUE",
              help="A template's parameter (repeatable): --param place=Kamango.")
@click.option("--text", help="A free text, sent as written to everyone.")
@click.option("--text-fr", help="A free text for French readers.")
@click.option("--text-sw", help="A free text for Swahili readers.")
@click.option("--text-en", help="A free text for English readers.")
@click.option("--language", "languages", multiple=True, type=click.Choice(["fr", "sw", "en"]),
              help="Only focal points reading this language (repeatable).")
@click.option("--dry-run", is_flag=True, help="Show who it reaches and what it costs; send nothing.")
@click.option("--yes", is_flag=True, help="Send without asking for confirmation.")
@click.option("--force", is_flag=True, help="Go over the daily SMS budget (an administrator's "
                                            "decision; recorded with the broadcast and audited).")
@click.option("--by", "by", default=operator, show_default="you", help="Who sends it.")
@pass_context
def broadcast_send(ctx: CliContext, target: str, template: str | None, params: tuple[str, ...],
                   text: str | None, text_fr: str | None, text_sw: str | None,
                   text_en: str | None, languages: tuple[str, ...], dry_run: bool, yes: bool,
                   force: bool, by: str) -> None:
    """Send a broadcast: shows the recipients by channel and language, the SMS count and the
    cost against the SIM's last known balance, then asks before sending."""
    texts = {k: v for k, v in (("fr", text_fr), ("sw", text_sw), ("en", text_en)) if v}
    if text and texts:
        raise click.UsageError("--text or --text-fr/--text-sw/--text-en, not both")
    try:
        values = dict(_param(p) for p in params)
        chosen = compose.draft(_book(ctx), target, template, values, text or texts or None,
                               languages)
        with ctx.store() as store:
            seen = compose.preview(store, ctx.config, chosen)
    except ValueError as exc:
        raise click.ClickException(str(exc)) from None
    _show_preview(seen)
    if dry_run:
        click.echo("(dry run: nothing sent)")
        return
    if not seen.recipients:
        raise click.ClickException("the target reaches nobody: nothing to send")
    if seen.over_budget and not force:
        raise click.ClickException("over the daily SMS budget: an administrator may --force it")
    if not yes and not click.confirm("Send it?", default=False):
        click.echo("not sent")
        return
    with ctx.store() as store:
        try:
            row, sent = compose.send(store, ctx.config, chosen, by.strip() or operator(), "cli",
                                     force=force)
        except ValueError as exc:
            raise click.ClickException(str(exc)) from None
    audit(f"broadcast {row.ref} to {row.target} ({sent.recipients} recipients, {sent.sms} SMS"
          f"{', over the budget' if row.forced else ''}) as {by}")
    click.echo(f"{row.ref}: queued for {sent.recipients} recipient(s); the daemon sends it "
               f"(cangw broadcast show {row.ref})")


def _param(text: str) -> tuple[str, str]:
    name, equals, value = text.partition("=")
    if not equals or not name.strip():
        raise ValueError(f"--param {text!r}: expected NAME=VALUE")
    return name.strip(), value


def _show_preview(seen: compose.Preview) -> None:
    audience = seen.audience
    click.echo(f"target: {seen.draft.target}"
               + (f" (languages {', '.join(seen.draft.languages)})" if seen.draft.languages else ""))
    click.echo(f"recipients: {seen.recipients}"
               + (f"; {audience.stopped} sent STOP" if audience.stopped else "")
               + (f"; {audience.unreachable} without a channel the base has"
                  if audience.unreachable else ""))
    for channel, languages in sorted(seen.by_channel.items()):
        click.echo(f"  {channel}: " + ", ".join(f"{n} {lang}" for lang, n in sorted(languages.items())))
    for message in seen.messages.values():
        click.echo(f"[{message.language}] {message.encoding}, {message.parts} SMS each: "
                   f"{message.text}")
    cost = f", cost {seen.cost:g}" if seen.cost is not None else ""
    balance = (f" of a balance of {seen.balance:g} (checked {seen.balance_checked_at})"
               if seen.balance is not None else " (no SIM balance known yet)")
    click.echo(f"SMS: {seen.sms}{cost}{balance}")
    click.echo(f"today's budget: {seen.used_today} of {seen.budget} used"
               + (" - this broadcast goes OVER it" if seen.over_budget else
                  f", {seen.budget - seen.used_today - seen.sms} left after it"))
    if seen.hf_frames:
        click.echo(f"HF bulletin: {seen.hf_frames} frame(s)")


@broadcast.command("list")
@click.option("--limit", default=30, show_default=True, help="At most this many.")
@json_option
@pass_context
def broadcast_list(ctx: CliContext, limit: int, as_json: bool) -> None:
    """Broadcasts, newest first, with their recipients by state."""
    with ctx.store() as store:
        rows = [_line(store, row) for row in broadcast_store.listing(store.db, limit)]
    emit(rows, ["ref", "created", "origin", "target", "state", "recipients", *STATES, "replied"],
         as_json)


def _line(store: Store, row: BroadcastRow) -> dict:
    figures = summary(store.db, row, row.state)
    return {"ref": row.ref, "created": local_time(row.created_at), "origin": row.origin,
            "target": row.target, "state": row.state + (" (cancelled)" if row.cancelled_at else ""),
            "recipients": figures["recipients"], **figures["counts"],
            "replied": figures["replied"]}


@broadcast.command("show")
@click.argument("ref")
@click.option("--recipients", "with_recipients", is_flag=True,
              help="List every recipient with their state.")
@json_option
@pass_context
def broadcast_show(ctx: CliContext, ref: str, with_recipients: bool, as_json: bool) -> None:
    """One broadcast (REF such as KWJ-B0003): its texts, its recipients by state, channel and
    language, and the replies. 'sent' means the network took the message; 'delivered' means
    the phone has it (a status report said so)."""
    with ctx.store() as store:
        row = _find(store, ref)
        fields = _line(store, row) | {
            "id": row.uid, "by": row.by, "template": row.template, "params": row.params,
            "languages": ", ".join(row.languages) or "all", "sms_parts": row.sms_parts,
            "forced": row.forced, "counter": row.counter,
            "cancelled": local_time(row.cancelled_at) if row.cancelled_at else None,
            "settled": local_time(row.settled_at) if row.settled_at else None}
        by_language = broadcast_store.counts_by(store.db, row.id, "language")
        by_channel = broadcast_store.counts_by(store.db, row.id, "channel")
        _, words = broadcast_store.reply_counts(store.db, row.id)
        replies = [{"at": local_time(at), "from": name, "text": text}
                   for at, name, text in broadcast_store.replies(store.db, row.id)]
        people = [{"name": r.name, "channel": r.channel, "language": r.language,
                   "state": r.state, "reason": r.reason, "sent": local_time(r.sent_at),
                   "delivered": local_time(r.delivered_at)}
                  for r in broadcast_store.recipients(store.db, row.id)] if with_recipients else []
    if as_json:
        emit([fields | {"texts": row.texts, "by_language": by_language, "by_channel": by_channel,
                        "reply_words": dict(words), "replies": replies, "recipients_list": people}],
             [], True)
        return
    for key, value in fields.items():
        click.echo(f"{key:>12}: {'-' if value is None or value == {} else value}")
    for language, text in row.texts.items():
        click.echo(f"{'[' + language + ']':>12}: {text}")
    click.echo("\nby channel and language:")
    emit([{"": f"channel {key}", **counts} for key, counts in by_channel.items()]
         + [{"": f"language {key}", **counts} for key, counts in by_language.items()],
         ["", *STATES], False)
    if words:
        click.echo("\nreplies: " + ", ".join(f"{n} {word}" for word, n in words.most_common()))
        emit(replies, ["at", "from", "text"], False)
    if with_recipients:
        click.echo("\nrecipients:")
        emit(people, ["name", "channel", "language", "state", "reason", "sent", "delivered"],
             False)


@broadcast.command("cancel")
@click.argument("ref")
@click.option("--by", "by", default=operator, show_default="you", help="Who cancels it.")
@pass_context
def broadcast_cancel(ctx: CliContext, ref: str, by: str) -> None:
    """Stop what has not left yet (messages already with the network cannot be called back)."""
    with ctx.store() as store:
        row = _find(store, ref)
        stopped = compose.cancel(store, row.id, time.time())
    audit(f"broadcast {row.ref} cancelled ({stopped} not sent) as {by}")
    click.echo(f"{row.ref}: cancelled; {stopped} recipient(s) will not get it")


@broadcast.command("templates")
@json_option
@pass_context
def broadcast_templates(ctx: CliContext, as_json: bool) -> None:
    """The book of templates (number, name, parameters and the French text)."""
    rows = [{"number": t.number, "name": t.name, "params": ", ".join(t.params) or "-",
             "fr": t.texts["fr"]} for t in _book(ctx).templates.values()]
    emit(rows, ["number", "name", "params", "fr"], as_json)


@broadcast.command("follow-ups")
@click.option("--limit", default=30, show_default=True, help="At most this many.")
@json_option
@pass_context
def broadcast_follow_ups(ctx: CliContext, limit: int, as_json: bool) -> None:
    """The latest follow-ups to people who reported an incident, with their state."""
    with ctx.store() as store:
        rows = [{"alert": f.alert_ref, "action": f.action, "channel": f.channel,
                 "state": f.state, "reason": f.reason, "queued": local_time(f.created_at),
                 "delivered": local_time(f.delivered_at)}
                for f in follow_store.recent(store.db, limit)]
    emit(rows, ["alert", "action", "channel", "state", "reason", "queued", "delivered"], as_json)


def _find(store: Store, ref: str) -> BroadcastRow:
    found = broadcast_store.by_ref(store.db, ref)
    if found is None:
        raise click.ClickException(f"no broadcast {ref}")
    return found
