"""`cangw outbox ...`: outgoing work (acknowledgements, deliveries) not yet done."""

from __future__ import annotations

import time

import click
from sqlite_utils import Database

from gateway.cli.common import CliContext, audit, emit, json_option, local_time, operator, pass_context
from gateway.store import outbox as outbox_store


@click.group()
def outbox() -> None:
    """Outgoing acknowledgements and deliveries."""


@outbox.command("list")
@click.option("--state", type=click.Choice(["pending", "failed", "done", "dropped"]),
              help="Only rows in this state [default: pending and failed].")
@json_option
@pass_context
def outbox_list(ctx: CliContext, state: str | None, as_json: bool) -> None:
    """List outbox rows, newest first."""
    with ctx.store() as store:
        rows = outbox_store.listing(store.db, state)
    for row in rows:
        row["created"] = local_time(row.pop("created_at"))
        row["next_attempt"] = local_time(row.pop("next_attempt_at"))
    emit(rows, ["id", "destination", "ref", "state", "attempts", "created", "next_attempt",
                "last_error"], as_json)


@outbox.command("drop")
@click.argument("ref")
@click.option("-y", "--yes", is_flag=True, help="Do not ask for confirmation.")
@pass_context
def outbox_drop(ctx: CliContext, ref: str, yes: bool) -> None:
    """Give up pending or failed outbox rows: REF is a row id (from `outbox list`) or an
    alert reference (all its open rows). The rows are kept, marked dropped with who did it;
    the action is logged to the journal. A dropped acknowledgement never reaches the caller."""
    with ctx.store() as store:
        rows = _matching(store.db, ref, None)
        if not yes:
            click.confirm(f"Drop {len(rows)} row(s)? They will never be sent", abort=True)
        now = time.time()
        with store.transaction() as db:
            dropped = [row["id"] for row in rows
                       if outbox_store.drop(db, row["id"], f"dropped by {operator()} at {local_time(now)}",
                                            now)]
    message = f"dropped outbox row(s) {', '.join(map(str, dropped)) or 'none'} ({ref})"
    audit(f"cangw outbox drop: {message}")
    click.echo(message)


@outbox.command("retry")
@click.argument("ref", required=False)
@click.option("--all", "every", is_flag=True, help="Retry every failed row.")
@pass_context
def outbox_retry(ctx: CliContext, ref: str | None, every: bool) -> None:
    """Send failed outbox rows again, with a fresh set of attempts: REF is a row id (from
    `outbox list`) or an alert reference, or --all for every failed row. Dropped rows are
    never retried. The daemon picks them up within a second or two."""
    if bool(ref) == every:
        raise click.UsageError("give either REF or --all")
    with ctx.store() as store:
        rows = _matching(store.db, ref, "failed")
        now = time.time()
        with store.transaction() as db:
            retried = [row["id"] for row in rows if outbox_store.retry(db, row["id"], now)]
    message = f"retrying outbox row(s) {', '.join(map(str, retried))} ({ref or 'all failed'})"
    audit(f"cangw outbox retry by {operator()}: {message}")
    click.echo(message)


def _matching(db: Database, ref: str | None, state: str | None) -> list[dict]:
    """Open rows (or rows in `state`) of an outbox id or alert reference (every one when `ref`
    is None), listed for the person deciding."""
    rows = [row for row in outbox_store.listing(db, state, limit=100_000)
            if ref is None or str(row["id"]) == ref or (row["ref"] or "").upper() == ref.upper()]
    if not rows:
        what = f"{state} " if state else "pending or failed "
        raise click.ClickException(f"no {what}outbox row matches {ref or '(any)'}")
    for row in rows:
        click.echo(f"  {row['id']}: {row['destination']} for {row['ref'] or '(no alert)'}, "
                   f"{row['state']}, {row['attempts']} attempt(s), {row['last_error'] or ''}")
    return rows
