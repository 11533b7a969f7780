"""`cangw alerts ...`: what came in, as the base understood it, and whether the base saw it."""

from __future__ import annotations

import contextlib
import dataclasses
import json
import sys
import time
from pathlib import Path

import click

from gateway.alerts.codes import load_codebook
from gateway.alerts.history import alert_records, write_csv
from gateway.alerts.seen import SeenMarker
from gateway.alerts.voice import VIA, record_voice_alert
from gateway.cli.common import (
    CliContext,
    audit,
    emit,
    json_option,
    local_time,
    operator,
    parse_since,
    pass_context,
    private_text_file,
)
from gateway.store import Store, inbox
from gateway.store import alerts as alert_store
from gateway.store import incidents as incident_store
from gateway.store import seen as seen_store
from gateway.triage.incidents import IncidentError, by_hand


@click.group()
def alerts() -> None:
    """Alerts received by the gateway."""


@alerts.command("list")
@click.option("--since", help="Only alerts since this time (ISO date/time, e.g. 2026-11-23T06:00).")
@click.option("--code", help="Only this code ('' for unparsed reports).")
@click.option("--unseen", is_flag=True, help="Only alerts the base has not marked seen.")
@click.option("--limit", default=50, show_default=True, help="At most this many.")
@json_option
@pass_context
def alerts_list(ctx: CliContext, since: str | None, code: str | None, unseen: bool, limit: int,
                as_json: bool) -> None:
    """List recent alerts, newest first."""
    with ctx.store() as store:
        rows = [_summary(a) | {"seen": _seen_time(store, a.id)} for a in
                alert_store.recent(store.db, parse_since(since), code, limit, unseen=unseen)]
    emit(rows, ["ref", "received", "channel", "code", "severity", "village", "count", "seen",
                "text"], as_json)


@alerts.command("show")
@click.argument("ref")
@json_option
@pass_context
def alerts_show(ctx: CliContext, ref: str, as_json: bool) -> None:
    """Show one alert in full (REF such as KWJ-0193), with the message as received: its text,
    and the PDU of an SMS that could not be decoded (`raw`)."""
    with ctx.store() as store:
        alert = _find(store, ref)
        fields = dataclasses.asdict(alert) | {"received": local_time(alert.received_at)}
        message = inbox.text_and_raw(store.db, alert.message_id) if alert.message_id else None
        fields["message"], fields["raw"] = message if message else (None, None)
        seen = seen_store.seen(store.db, alert.id)
        fields["seen"] = f"{local_time(seen[0])} ({seen[1]})" if seen else None
    if as_json:
        emit([fields], [], True)
        return
    for key, value in fields.items():
        click.echo(f"{key:>15}: {'-' if value is None else value}")


@alerts.command("seen")
@click.argument("refs", nargs=-1, required=True)
@pass_context
def alerts_seen(ctx: CliContext, refs: tuple[str, ...]) -> None:
    """Mark alerts as seen by the base (as the panel's button does): silences the panel for
    them, tells headquarters, and sends the sender a second SMS if [panel] seen_ack is set."""
    with ctx.store() as store:
        found = [_find(store, ref) for ref in refs]
        newly = {a.id for a in SeenMarker(store, ctx.config).mark(found, "cli", time.time())}
    for alert in found:
        click.echo(f"{alert.ref}: {'marked seen' if alert.id in newly else 'already seen'}")


@alerts.command("export")
@click.option("--format", "fmt", type=click.Choice(["csv", "json"]), default="csv",
              show_default=True, help="Output format.")
@click.option("--since", help="Only alerts since this time (ISO date/time).")
@click.option("-o", "--output", type=click.Path(dir_okay=False, path_type=Path),
              help="Write to this file instead of standard output.")
@pass_context
def alerts_export(ctx: CliContext, fmt: str, since: str | None, output: Path | None) -> None:
    """Export alerts, oldest first, as headquarters receives them: senders as pseudonyms and
    names and numbers removed from the text, so the file may leave the base."""
    codebook = load_codebook(ctx.config.codes.file if ctx.config.codes else None)
    with ctx.store() as store:
        records = alert_records(store, ctx.config.base.id, codebook, parse_since(since))
    with (private_text_file(output) if output else contextlib.nullcontext(sys.stdout)) as out:
        if fmt == "json":
            json.dump(records, out, ensure_ascii=False, indent=2)
            out.write("\n")
        else:
            write_csv(records, out)
    if output:
        click.echo(f"exported {len(records)} alert(s) to {output}")


def _find(store: Store, ref: str) -> alert_store.AlertRow:
    alert = alert_store.by_ref(store.db, ref)
    if alert is None:
        raise click.ClickException(f"no alert {ref}")
    return alert


def _seen_time(store: Store, alert_id: int) -> str | None:
    seen = seen_store.seen(store.db, alert_id)
    return local_time(seen[0]) if seen else None


def _summary(alert: alert_store.AlertRow) -> dict:
    return {"ref": alert.ref, "received": local_time(alert.received_at), "channel": alert.channel,
            "code": alert.code if alert.code is not None else "?", "severity": alert.severity,
            "village": alert.village_name, "count": alert.count, "text": alert.text}


@alerts.command("add")
@click.option("--code", required=True, help="The alert code (0-9, see the code book).")
@click.option("--village", help="Village number or name.")
@click.option("--count", type=int, help="How many (people, attackers, houses...).")
@click.option("--note", default="", help="What was said, in the operator's words.")
@click.option("--via", type=click.Choice(VIA), default="radio", show_default=True,
              help="How the alert was heard.")
@click.option("--by", "by", required=True, help="The operator who took the alert.")
@click.option("--sender", help="The focal point's phone number or callsign, if known.")
@pass_context
def alerts_add(ctx: CliContext, code: str, village: str | None, count: int | None, note: str,
               via: str, by: str, sender: str | None) -> None:
    """Record an alert heard by voice (HF radio, phone): it goes to headquarters like any other."""
    with ctx.store() as store:
        try:
            alert = record_voice_alert(store, ctx.config, load_codebook(
                ctx.config.codes.file if ctx.config.codes else None), code, village, note, via,
                by, count, sender)
        except ValueError as exc:
            raise click.ClickException(str(exc)) from None
    click.echo(f"{alert.ref}: code {alert.code} ({alert.severity})"
               + (f" at {alert.village_name}" if alert.village_name else "")
               + " recorded; the daemon forwards it")


@alerts.command("respond")
@click.argument("ref")
@click.option("--note", default="", help="What the base does, in a few words (published with the "
              "incident's change, never sent to the reporters).")
@click.option("--by", "by", default=operator, show_default="you", help="Who decides it.")
@pass_context
def alerts_respond(ctx: CliContext, ref: str, note: str, by: str) -> None:
    """The base is responding to alert REF: its incident becomes `responding` (as `cangw
    incident respond`), and the people who reported it are told if [outreach] follow_ups
    has `respond`."""
    with ctx.store() as store:
        alert = _find(store, ref)
        incident_id = incident_store.membership_id(store.db, alert.id)
        if incident_id is None:
            raise click.ClickException(f"{alert.ref} belongs to no incident")
        try:
            changed = by_hand(store, ctx.config).change_state(incident_id, "respond", by, note,
                                                              time.time())
        except IncidentError as exc:
            raise click.ClickException(str(exc)) from None
    audit(f"respond to {alert.ref} ({changed.ref}) as {by}")
    click.echo(f"{alert.ref}: {changed.ref} responding (version {changed.version}, published)")
