"""`cangw config check`: validate the configuration exactly as the daemon does."""

from __future__ import annotations

import click

from gateway.cli.common import CliContext, pass_context
from gateway.codes import load_codebook
from gateway.errors import GatewayError


@click.group()
def config() -> None:
    """Configuration file commands."""


@config.command("check")
@pass_context
def check(ctx: CliContext) -> None:
    """Validate the configuration file and the code book it names."""
    cfg = ctx.config
    try:
        book = load_codebook(cfg.codes.file if cfg.codes else None)
    except GatewayError as exc:
        raise click.ClickException(str(exc)) from None
    links = [name for name in ("gsm", "hf", "mqtt") if getattr(cfg, name) is not None]
    click.echo(f"{cfg.source}: OK (base {cfg.base.id}, links: {', '.join(links) or 'none'}, "
               f"{len(book.codes)} codes)")
