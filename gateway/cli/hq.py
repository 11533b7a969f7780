"""Headquarters' commands: `cangw hq-bridge` (satellite deliveries -> MQTT) and `cangw
hq-command` (an authenticated command for a base, to send through the provider). Both read
hq.toml (`-c`, else $CANGW_HQ_CONFIG, else /etc/cangw/hq.toml), not gateway.toml."""

from __future__ import annotations

import logging
import sys
import time

import click

from gateway.cli.run import LOG_FORMAT
from gateway.errors import GatewayError
from gateway.hq.config import HqConfig, hq_config_path, load_hq_config
from gateway.sbd import commands

hq_config_option = click.option(
    "-c", "--config", "hq_config", type=click.Path(dir_okay=False), envvar="CANGW_HQ_CONFIG",
    help="The bridge's configuration [default: /etc/cangw/hq.toml].")


def _load(path: str | None) -> HqConfig:
    try:
        return load_hq_config(hq_config_path(path))
    except GatewayError as exc:
        raise click.ClickException(str(exc)) from None


@click.command("hq-bridge")
@hq_config_option
@click.option("--log-level", default="INFO", show_default=True,
              type=click.Choice(["DEBUG", "INFO", "WARNING", "ERROR"], case_sensitive=False),
              help="Logging level.")
def hq_bridge(hq_config: str | None, log_level: str) -> None:
    """Run at headquarters: take the satellite provider's deliveries (webhook) and publish each
    base's alerts to MQTT, as the base would."""
    from gateway.hq.bridge import HqBridge

    config = _load(hq_config)
    logging.basicConfig(level=log_level.upper(), format=LOG_FORMAT, stream=sys.stderr)
    try:
        bridge = HqBridge(config)
    except (OSError, GatewayError) as exc:
        raise click.ClickException(f"cannot start the bridge: {exc}") from None
    sys.exit(bridge.run())


@click.command("hq-command")
@hq_config_option
@click.argument("base")
@click.argument("command", type=click.Choice(["ping", "wipe"]))
def hq_command(hq_config: str | None, base: str, command: str) -> None:
    """Make an authenticated command for BASE (ping: the base answers with its status by
    satellite; wipe: the base destroys everything it holds, irreversibly) and print it in hex,
    for the provider's send-to-modem form or API."""
    from gateway.hq.store import HqStore

    config = _load(hq_config)
    entry = config.base(base)
    if entry is None or entry.command_key_file is None:
        raise click.ClickException(f"{config.source}: no [[base]] with id = {base!r} and a "
                                   "command_key_file")
    try:
        key = commands.load_key(entry.command_key_file)
    except GatewayError as exc:
        raise click.ClickException(str(exc)) from None
    store = HqStore(config.store.path)
    try:
        counter = store.next_counter(base, time.time())
    finally:
        store.close()
    number = {"ping": commands.PING, "wipe": commands.WIPE}[command]
    message = commands.sign(key, base, commands.Command(counter, number))
    click.echo(message.hex())
    click.echo(f"({command} for {base}, counter {counter}, {len(message)} bytes: post it as "
               "`data` to the provider's MT endpoint for the base's IMEI)", err=True)
