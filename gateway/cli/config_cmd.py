"""`cangw config check`: validate the configuration exactly as the daemon does."""

from __future__ import annotations

import click

from gateway.alerts.codes import load_codebook
from gateway.cli.common import CliContext, pass_context
from gateway.errors import GatewayError
from gateway.outreach.config import outreach_settings
from gateway.outreach.templates import load_book
from gateway.sbd.commands import load_key


@click.group()
def config() -> None:
    """Configuration file commands."""


@config.command("check")
@pass_context
def check(ctx: CliContext) -> None:
    """Validate the configuration file, the code book and the book of broadcast templates it
    names, and the command keys."""
    cfg = ctx.config
    try:
        book = load_codebook(cfg.codes.file if cfg.codes else None)
    except GatewayError as exc:
        raise click.ClickException(str(exc)) from None
    if cfg.sbd is not None and cfg.sbd.command_key_file is not None:
        try:
            load_key(cfg.sbd.command_key_file)
        except GatewayError as exc:
            raise click.ClickException(f"[sbd] command_key_file: {exc}") from None
    if cfg.mqtt is not None and cfg.mqtt.password_file is not None:
        try:
            cfg.mqtt.password()
        except GatewayError as exc:
            raise click.ClickException(f"[mqtt] password_file: {exc}") from None
    if cfg.mqtt is not None and cfg.mqtt.command_key_file is not None:
        try:
            load_key(cfg.mqtt.command_key_file)
        except GatewayError as exc:
            raise click.ClickException(f"[mqtt] command_key_file: {exc}") from None
    try:
        load_book(outreach_settings(cfg).templates)
    except GatewayError as exc:
        raise click.ClickException(f"[outreach] templates: {exc}") from None
    links = [name for name in ("gsm", "hf", "mqtt", "sbd") if getattr(cfg, name) is not None]
    click.echo(f"{cfg.source}: OK (base {cfg.base.id}, links: {', '.join(links) or 'none'}, "
               f"{len(book.codes)} codes)")
