"""Headquarters' commands: `cangw hq-bridge` (satellite deliveries -> MQTT), `cangw hq-collect`
(every base's messages from the cluster into headquarters' store), `cangw hq-status` (the
bases and their health) and `cangw hq-command` (an authenticated command for a base, through
the satellite provider or the cluster). All read hq.toml (`-c`, else $CANGW_HQ_CONFIG, else
/etc/cangw/hq.toml), not gateway.toml."""

from __future__ import annotations

import logging
import sys
import time
from collections.abc import Callable
from typing import Protocol

import click

from gateway.cli.common import emit, json_option, local_time, parse_since
from gateway.cli.run import LOG_FORMAT
from gateway.errors import GatewayError
from gateway.hq.config import CollectorConfig, HqConfig, hq_config_path, load_hq_config
from gateway.sbd import commands

hq_config_option = click.option(
    "-c", "--config", "hq_config", type=click.Path(dir_okay=False), envvar="CANGW_HQ_CONFIG",
    help="The bridge's configuration [default: /etc/cangw/hq.toml].")


def load_hq(path: str | None) -> HqConfig:
    try:
        return load_hq_config(hq_config_path(path))
    except GatewayError as exc:
        raise click.ClickException(str(exc)) from None


class Service(Protocol):
    def run(self) -> int: ...


log_level_option = click.option(
    "--log-level", default="INFO", show_default=True,
    type=click.Choice(["DEBUG", "INFO", "WARNING", "ERROR"], case_sensitive=False),
    help="Logging level.")


def _collector(config: HqConfig) -> CollectorConfig:
    if config.collector is None:
        raise click.ClickException(f"{config.source}: no [collector] section (how headquarters "
                                   "reaches the NATS cluster)")
    return config.collector


def _serve(service: Callable[[HqConfig], Service], config: HqConfig, log_level: str,
           what: str) -> None:
    """Log to standard error (the journal), run until stopped, exit with its code."""
    logging.basicConfig(level=log_level.upper(), format=LOG_FORMAT, stream=sys.stderr)
    logging.getLogger("asyncio").setLevel(logging.ERROR)  # nats-py's TLS close warns about nothing
    try:
        running = service(config)
    except (OSError, GatewayError) as exc:
        raise click.ClickException(f"cannot start the {what}: {exc}") from None
    sys.exit(running.run())


@click.command("hq-bridge")
@hq_config_option
@log_level_option
def hq_bridge(hq_config: str | None, log_level: str) -> None:
    """Run at headquarters: take the satellite provider's deliveries (webhook) and publish each
    base's alerts to MQTT, as the base would."""
    from gateway.hq.bridge import HqBridge

    _serve(HqBridge, load_hq(hq_config), log_level, "bridge")


@click.command("hq-collect")
@hq_config_option
@log_level_option
@click.option("--replay-from", help="With a new [collector] consumer name: read the cluster's "
              "messages from this time (ISO date/time) instead of from the start, e.g. the time "
              "of the backup a store was restored from.")
def hq_collect(hq_config: str | None, log_level: str, replay_from: str | None) -> None:
    """Run at headquarters: commit every base's alerts, incidents, events and status from the
    NATS cluster into headquarters' store, and raise base_silent for a base that goes quiet."""
    from gateway.hq.collector import Collector

    config = load_hq(hq_config)
    _collector(config)
    since = parse_since(replay_from)
    _serve(lambda hq: Collector(hq, since), config, log_level, "collector")


@click.command("hq-status")
@hq_config_option
@json_option
def hq_status(hq_config: str | None, as_json: bool) -> None:
    """Every base headquarters knows or has heard from: online or silent (and why), its links,
    what waits in its outboxes, its alerts of the last 24 hours and its open incidents."""
    from gateway.hq.records import open_records
    from gateway.hq.views import bases

    config = load_hq(hq_config)
    settings = _collector(config)
    conn = open_records(config.store.path)
    try:
        health = bases(conn, [base.id for base in config.bases], time.time(),
                       settings.silent_after, watching_since=0.0)
    finally:
        conn.close()
    rows = [{"base": b.id, "liveness": b.liveness, "heard": local_time(b.heard_at),
             "links": " ".join(f"{name}={state}" for name, state in sorted(b.links.items())),
             "waiting": b.waiting, "alerts_24h": b.alerts_24h, "incidents": b.open_incidents,
             "why": b.silent_reason} for b in health]
    emit(rows, ["base", "liveness", "heard", "links", "waiting", "alerts_24h", "incidents", "why"],
         as_json)
    if not as_json:
        online = sum(1 for b in health if b.liveness == "online")
        click.echo(f"{len(health)} bases: {online} online, {len(health) - online} silent or never heard")


@click.command("hq-command")
@hq_config_option
@click.argument("base")
@click.argument("command", type=click.Choice(["ping", "wipe"]))
@click.option("--via", type=click.Choice(["satellite", "cluster"]), default="satellite",
              show_default=True, help="satellite: print it in hex for the provider; cluster: "
              "send it through the NATS cluster to the base's command topic ([collector] login).")
def hq_command(hq_config: str | None, base: str, command: str, via: str) -> None:
    """Make an authenticated command for BASE (ping: the base answers with its status; wipe:
    the base destroys everything it holds, irreversibly) and print it in hex for the satellite
    provider's send-to-modem form or API, or send it through the cluster."""
    from gateway.hq.store import HqStore

    config = load_hq(hq_config)
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
        counter = store.next_counter(base, commands.key_id(key), time.time())
    except ValueError as exc:
        raise click.ClickException(f"{base}: {exc}") from None
    finally:
        store.close()
    number = {"ping": commands.PING, "wipe": commands.WIPE}[command]
    message = commands.sign(key, base, commands.Command(counter, number))
    if via == "cluster":
        _send_through_cluster(config, base, command, counter, message)
        return
    click.echo(message.hex())
    click.echo(f"({command} for {base}, counter {counter}, {len(message)} bytes: post it as "
               "`data` to the provider's MT endpoint for the base's IMEI)", err=True)


def _send_through_cluster(config: HqConfig, base: str, command: str, counter: int,
                          message: bytes) -> None:
    import nats

    from gateway.hq.outgoing import send_command
    from gateway.hq.records import open_records

    settings = _collector(config)
    conn = open_records(config.store.path)
    try:
        sent = send_command(settings, conn, base, command, counter, message)
    except (OSError, TimeoutError, nats.errors.Error) as exc:
        raise click.ClickException(f"{command} for {base} not sent: the cluster did not "
                                   f"acknowledge it ({exc!r}); send it again") from None
    finally:
        conn.close()
    click.echo(f"{command} for {base} (counter {counter}) stored in the cluster (stream "
               f"sequence {sent.stream_seq}); the base gets it when connected")
