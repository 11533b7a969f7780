"""`cangw alerts ...`: what came in, as the base understood it."""

from __future__ import annotations

import dataclasses
import datetime as dt

import click

from gateway.cli.common import CliContext, emit, json_option, local_time, pass_context
from gateway.store import alerts as alert_store


@click.group()
def alerts() -> None:
    """Alerts received by the gateway."""


@alerts.command("list")
@click.option("--since", help="Only alerts since this time (ISO date/time, e.g. 2026-11-23T06:00).")
@click.option("--code", help="Only this code ('' for unparsed reports).")
@click.option("--limit", default=50, show_default=True, help="At most this many.")
@json_option
@pass_context
def alerts_list(ctx: CliContext, since: str | None, code: str | None, limit: int,
                as_json: bool) -> None:
    """List recent alerts, newest first."""
    with ctx.store() as store:
        rows = alert_store.recent(store.db, _since(since), code, limit)
    emit([_summary(a) for a in rows],
         ["ref", "received", "channel", "code", "severity", "village", "count", "text"], as_json)


@alerts.command("show")
@click.argument("ref")
@json_option
@pass_context
def alerts_show(ctx: CliContext, ref: str, as_json: bool) -> None:
    """Show one alert in full (REF such as KWJ-0193)."""
    with ctx.store() as store:
        alert = alert_store.by_ref(store.db, ref)
        if alert is None:
            raise click.ClickException(f"no alert {ref}")
        fields = dataclasses.asdict(alert) | {"received": local_time(alert.received_at)}
        message = store.db.execute("SELECT text FROM messages WHERE id = ?",
                                   [alert.message_id]).fetchone()
        fields["message"] = message[0] if message else None
    if as_json:
        emit([fields], [], True)
        return
    for key, value in fields.items():
        click.echo(f"{key:>15}: {'-' if value is None else value}")


def _summary(alert: alert_store.AlertRow) -> dict:
    return {"ref": alert.ref, "received": local_time(alert.received_at), "channel": alert.channel,
            "code": alert.code if alert.code is not None else "?", "severity": alert.severity,
            "village": alert.village_name, "count": alert.count, "text": alert.text}


def _since(value: str | None) -> float | None:
    if not value:
        return None
    try:
        moment = dt.datetime.fromisoformat(value)
    except ValueError:
        raise click.BadParameter(f"not an ISO date/time: {value!r}", param_hint="--since") from None
    return (moment if moment.tzinfo else moment.astimezone()).timestamp()
