"""`cangw incident ...`: the events the alerts report, and what the base does about each."""

from __future__ import annotations

import time
from collections.abc import Callable

import click

from gateway.cli.common import CliContext, audit, emit, json_option, local_time, operator, pass_context
from gateway.store import Store
from gateway.store import alerts as alert_store
from gateway.store import incidents as incident_store
from gateway.store.incidents import OPEN_STATES, STATES, IncidentRow
from gateway.triage.incidents import IncidentError, Incidents, by_hand


@click.group("incident")
def incident() -> None:
    """Incidents: alerts grouped by event, with who confirms them and what the base did."""


@incident.command("list")
@click.option("--state", "states", multiple=True, type=click.Choice(STATES),
              help="Only these states (repeatable) [default: open, seen, responding].")
@click.option("--all", "every", is_flag=True, help="Every state, merged ones included.")
@click.option("--limit", default=50, show_default=True, help="At most this many.")
@json_option
@pass_context
def incident_list(ctx: CliContext, states: tuple[str, ...], every: bool, limit: int,
                  as_json: bool) -> None:
    """List incidents, the most recently reported first."""
    wanted = STATES if every else (states or OPEN_STATES)
    with ctx.store() as store:
        rows = [_summary(i) for i in incident_store.listing(store.db, wanted, limit)]
    emit(rows, ["ref", "state", "level", "severity", "category", "villages", "reports",
                "senders", "channels", "last_report"], as_json)


@incident.command("show")
@click.argument("ref")
@json_option
@pass_context
def incident_show(ctx: CliContext, ref: str, as_json: bool) -> None:
    """Show one incident: its counts, its reports and every change (REF such as KWJ-I0012)."""
    with ctx.store() as store:
        found = _find(store, ref)
        reports = [{"ref": a.ref, "received": local_time(a.received_at), "channel": a.channel,
                    "code": a.code, "village": a.village_name, "registered": bool(a.registered),
                    "throttled": throttled, "repeats": a.repeats}
                   for a, throttled in alert_store.in_incident(store.db, found.id)]
        history = [{"version": c.version, "at": local_time(c.at), "by": c.by,
                    "action": c.action, "from": c.from_state, "to": c.to_state, "note": c.note}
                   for c in incident_store.changes(store.db, found.id)]
        merged = incident_store.get(store.db, found.merged_into) if found.merged_into else None
    fields = _summary(found) | {
        "id": found.uid, "urgency": found.urgency, "categories": ", ".join(found.categories),
        "first_report": local_time(found.first_report_at), "repeats": found.repeats,
        "throttled_reports": found.throttled, "registered_senders": found.registered_senders,
        "operator_confirmed": found.operator_confirmed, "zone": found.zone,
        "merged_into": merged.ref if merged else None, "version": found.version}
    if as_json:
        emit([fields | {"reports_list": reports, "history": history}], [], True)
        return
    for key, value in fields.items():
        click.echo(f"{key:>20}: {'-' if value is None else value}")
    click.echo("\nreports:")
    emit(reports, ["ref", "received", "channel", "code", "village", "registered", "throttled",
                   "repeats"], False)
    click.echo("\nchanges:")
    emit(history, ["version", "at", "by", "action", "from", "to", "note"], False)


def _who_and_why(command: Callable) -> Callable:
    """The --note and --by every change takes (both kept with it and published)."""
    command = click.option("--by", "by", default=operator, show_default="you",
                           help="Who makes the change.")(command)
    return click.option("--note", default="", help="Why, in a few words.")(command)


def _state_command(name: str, action: str, summary: str) -> None:
    @incident.command(name, help=summary)
    @click.argument("ref")
    @_who_and_why
    @pass_context
    def command(ctx: CliContext, ref: str, note: str, by: str) -> None:
        _change(ctx, lambda incidents, store: incidents.change_state(
            _find(store, ref).id, action, by, note, time.time()), f"{action} {ref}", by)


for _name, _action, _help in (
        ("seen", "seen", "The base has seen the incident."),
        ("respond", "respond", "The base is responding (a patrol is on its way...)."),
        ("close", "close", "The incident is over."),
        ("false-alarm", "false-alarm", "Nothing happened: a false alarm."),
        ("reopen", "reopen", "Open a closed incident or false alarm again."),
        ("confirm", "confirm", "The base confirmed it itself: the level becomes confirmed.")):
    _state_command(_name, _action, _help)


@incident.command("merge")
@click.argument("into")
@click.argument("others", nargs=-1, required=True)
@_who_and_why
@pass_context
def incident_merge(ctx: CliContext, into: str, others: tuple[str, ...], note: str,
                   by: str) -> None:
    """Merge OTHERS into INTO (one event reported as several); this is also how an unparsed
    report is attached to the incident it belongs to."""
    _change(ctx, lambda incidents, store: incidents.merge(
        _find(store, into).id, [_find(store, o).id for o in others], by, note, time.time()),
        f"merge {', '.join(others)} into {into}", by)


@incident.command("split")
@click.argument("ref")
@click.argument("alerts", nargs=-1, required=True)
@_who_and_why
@pass_context
def incident_split(ctx: CliContext, ref: str, alerts: tuple[str, ...], note: str,
                   by: str) -> None:
    """Take ALERTS (their refs, such as KWJ-0193) out of incident REF into a new incident."""
    _change(ctx, lambda incidents, store: incidents.split(
        _find(store, ref).id, alerts, by, note, time.time()), f"split {ref}", by)


def _change(ctx: CliContext, make: Callable[[Incidents, Store], IncidentRow], what: str,
            by: str) -> None:
    with ctx.store() as store:
        incidents = by_hand(store, ctx.config)
        try:
            changed = make(incidents, store)
        except IncidentError as exc:
            raise click.ClickException(str(exc)) from None
    audit(f"incident {what} as {by}")
    click.echo(f"{changed.ref}: {changed.state}, {changed.level}, version {changed.version}"
               " (published)")


def _find(store: Store, ref: str) -> IncidentRow:
    found = incident_store.by_ref(store.db, ref)
    if found is None:
        raise click.ClickException(f"no incident {ref}")
    return found


def _summary(found: IncidentRow) -> dict:
    return {"ref": found.ref, "state": found.state, "level": found.level,
            "severity": found.severity, "category": found.category or "-",
            "villages": ", ".join(name or str(number) for number, name in found.villages),
            "reports": found.reports, "senders": found.senders,
            "channels": ", ".join(found.channels), "last_report": local_time(found.last_report_at)}
