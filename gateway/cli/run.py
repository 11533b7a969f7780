"""`cangw run`: the base-station daemon."""

from __future__ import annotations

import logging
import sys
from collections.abc import Callable

import click
from click.decorators import FC

from gateway.cli.common import CliContext, pass_context
from gateway.daemon import Daemon
from gateway.errors import GatewayError

LOG_FORMAT = "%(asctime)s %(levelname)-7s %(name)s: %(message)s"


def log_level_option(help_text: str) -> Callable[[FC], FC]:
    return click.option("--log-level", default="INFO", show_default=True, help=help_text,
                        type=click.Choice(["DEBUG", "INFO", "WARNING", "ERROR"],
                                          case_sensitive=False))


@click.command()
@log_level_option("Logging level (DEBUG includes redacted wire traces).")
@pass_context
def run(ctx: CliContext, log_level: str) -> None:
    """Run the gateway until SIGTERM or SIGINT."""
    config = ctx.config
    logging.basicConfig(level=log_level.upper(), format=LOG_FORMAT, stream=sys.stderr)
    try:  # what stops the start (the store, the code book) is said in one line, exit 1
        daemon = Daemon(config)
        code = daemon.run()
    except GatewayError as exc:
        raise click.ClickException(str(exc)) from None
    sys.exit(code)
