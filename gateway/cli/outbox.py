"""`cangw outbox ...`: outgoing work (acknowledgements, deliveries) not yet done."""

from __future__ import annotations

import click

from gateway.cli.common import CliContext, emit, json_option, local_time, pass_context
from gateway.store import outbox as outbox_store


@click.group()
def outbox() -> None:
    """Outgoing acknowledgements and deliveries."""


@outbox.command("list")
@click.option("--state", type=click.Choice(["pending", "failed", "done"]),
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
