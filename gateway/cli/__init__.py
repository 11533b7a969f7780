"""`cangw`: the daemon and the technician's maintenance commands (click).

Every command reads the same configuration (`-c`, before or after the command's name, else
$CANGW_CONFIG, else /etc/cangw/gateway.toml) and meets the daemon in the SQLite store, so it works while the
daemon runs.
"""

from __future__ import annotations

import os

import click

from gateway.cli.alerts import alerts
from gateway.cli.broadcast import broadcast
from gateway.cli.common import CliContext, accept_config_after_commands, printable_output
from gateway.cli.config_cmd import config
from gateway.cli.console import audit, console, user
from gateway.cli.db import db
from gateway.cli.export import export
from gateway.cli.groups import group
from gateway.cli.handover import handover
from gateway.cli.hq import hq_bridge, hq_collect, hq_command, hq_status
from gateway.cli.incidents import incident
from gateway.cli.logs import logs
from gateway.cli.modem import modem
from gateway.cli.network import network
from gateway.cli.outbox import outbox
from gateway.cli.panel import panel
from gateway.cli.registry import focal, village
from gateway.cli.run import run
from gateway.cli.status import status
from gateway.cli.wipe import setup_after_wipe, wipe

# Whatever the gateway writes (the store, backups, exports, a hq-bridge store, a wire trace)
# is for its owner and the CLI's group only, even when started by hand with umask 022.
PRIVATE_UMASK = 0o027


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.option("-c", "--config", "config_file", type=click.Path(dir_okay=False),
              envvar="CANGW_CONFIG", help="Configuration file [default: /etc/cangw/gateway.toml].")
@click.version_option(package_name="cangw")
@click.pass_context
def cli(ctx: click.Context, config_file: str | None) -> None:
    """cangw: community alert gateway (SMS, calls, HF radio -> SQLite -> MQTT/satellite)."""
    os.umask(os.umask(PRIVATE_UMASK) | PRIVATE_UMASK)  # as systemd's UMask=0027, always
    ctx.obj = CliContext(config_file)
    printable_output()


for command in (run, config, village, focal, group, alerts, incident, network, broadcast, export,
                outbox, status, modem, db, logs, panel, hq_bridge, hq_collect, hq_status, hq_command,
                console, user, audit, wipe, setup_after_wipe, handover):
    cli.add_command(command)
accept_config_after_commands(cli)


def main() -> None:
    cli(prog_name="cangw")
