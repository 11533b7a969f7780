"""`cangw export ...`: the base's records in open formats another organisation's tools read."""

from __future__ import annotations

from pathlib import Path

import click

from gateway.alerts.codes import load_codebook
from gateway.cap.alerts import stored_alert_messages
from gateway.cap.incidents import stored_incident_messages
from gateway.cap.message import to_bytes
from gateway.cli.common import CliContext, parse_since, pass_context
from gateway.timeutil import local_zone


@click.group()
def export() -> None:
    """Export the base's alerts and incidents in open formats (OASIS CAP 1.2)."""


@export.command("cap")
@click.option("--since", help="Only alerts (or incidents changed) since this time (ISO "
                              "date/time).")
@click.option("--incidents", is_flag=True,
              help="Incidents instead of alerts: each incident's current version, an Update "
                   "or Cancel referencing the earlier messages of the incident.")
@click.option("--to", "folder", type=click.Path(file_okay=False, path_type=Path),
              help="Write one file per message (IDENTIFIER.xml) in this folder instead of one "
                   "stream on standard output.")
@pass_context
def export_cap(ctx: CliContext, since: str | None, incidents: bool,
               folder: Path | None) -> None:
    """Write every alert (or incident) as an OASIS CAP 1.2 message, oldest first. Nothing
    identifies a focal point: no number, name or pseudonym, and free text is scrubbed as for
    headquarters. On standard output the messages follow one another, each a whole XML
    document."""
    config = ctx.config
    codebook = load_codebook(config.codes.file if config.codes else None)
    zone = local_zone(config.base.timezone)
    with ctx.store() as store:
        written = stored_incident_messages if incidents else stored_alert_messages
        messages = written(store, config, codebook, parse_since(since))
    if folder is None:
        for message in messages:
            click.echo(to_bytes(message, zone).decode("utf-8"))
        return
    folder.mkdir(parents=True, exist_ok=True)
    for message in messages:
        (folder / f"{message.identifier}.xml").write_bytes(to_bytes(message, zone))
    click.echo(f"wrote {len(messages)} CAP message(s) to {folder}")
