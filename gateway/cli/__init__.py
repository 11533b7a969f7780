"""`cangw`: the daemon and the technician's maintenance commands (click).

Every command reads the same configuration (`-c`, else $CANGW_CONFIG, else
/etc/cangw/gateway.toml) and meets the daemon in the SQLite store, so it works while the
daemon runs.
"""

from __future__ import annotations

import click

from gateway.cli.alerts import alerts
from gateway.cli.broadcast import broadcast
from gateway.cli.common import CliContext, printable_output
from gateway.cli.config_cmd import config
from gateway.cli.db import db
from gateway.cli.export import export
from gateway.cli.groups import group
from gateway.cli.hq import hq_bridge, hq_command
from gateway.cli.incidents import incident
from gateway.cli.logs import logs
from gateway.cli.modem import modem
from gateway.cli.network import network
from gateway.cli.outbox import outbox
from gateway.cli.panel import panel
from gateway.cli.registry import focal, village
from gateway.cli.run import run
from gateway.cli.status import status


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.option("-c", "--config", "config_file", type=click.Path(dir_okay=False),
              envvar="CANGW_CONFIG", help="Configuration file [default: /etc/cangw/gateway.toml].")
@click.version_option(package_name="cangw")
@click.pass_context
def cli(ctx: click.Context, config_file: str | None) -> None:
    """cangw: community alert gateway (SMS, calls, HF radio -> SQLite -> MQTT/satellite)."""
    ctx.obj = CliContext(config_file)
    printable_output()


for command in (run, config, village, focal, alerts, export, outbox, status, modem, db, logs,
                panel, hq_bridge, hq_command, incident, network, broadcast, group):
    cli.add_command(command)


def main() -> None:
    cli(prog_name="cangw")
