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
from gateway.outreach.hq_wire import BroadcastRequest, HqCommand, encode_broadcast, sign_mqtt
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
@click.argument("command", type=click.Choice(["ping", "broadcast", "wipe"]))
@click.option("--target", help="broadcast: who ('all', 'zone:north AND group:chiefs', ...).")
@click.option("--template", help="broadcast: a template's number in the base's book.")
@click.option("--param", "params", multiple=True, metavar="VALUE",
              help="broadcast: the template's parameters, in its order (repeatable).")
@click.option("--text", help="broadcast: a free text instead of a template.")
@click.option("--language", "languages", multiple=True, type=click.Choice(["fr", "sw", "en"]),
              help="broadcast: only focal points reading this language (repeatable).")
@click.option("--force", is_flag=True, help="broadcast: go over the base's daily SMS budget "
                                            "(only if the base allows it: hq_may_force).")
@click.option("--publish", is_flag=True, help="Also publish the MQTT form to hq.toml's broker "
                                              "(QoS 1, on {topic_prefix}/BASE/commands).")
@click.option("--via", type=click.Choice(["print", "cluster"]), default="print",
              show_default=True, help="cluster: send the MQTT form into the NATS cluster, which "
              "keeps it for a base that is away ([collector] login), instead of printing.")
def hq_command(hq_config: str | None, base: str, command: str, target: str | None,
               template: str | None, params: tuple[str, ...], text: str | None,
               languages: tuple[str, ...], force: bool, publish: bool, via: str) -> None:
    """Make an authenticated command for BASE and print it in both forms, with one counter (the
    base carries it out once, whichever way it arrives first): the satellite form in hex (for
    the provider's send-to-modem form or API), then the MQTT form (a JSON line). ping: the base
    answers with its status; broadcast: it warns the focal points the target names; wipe: the
    base destroys everything it holds, irreversibly."""
    from gateway.hq.store import HqStore

    config = load_hq(hq_config)
    entry = config.base(base)
    if entry is None or entry.command_key_file is None:
        raise click.ClickException(f"{config.source}: no [[base]] with id = {base!r} and a "
                                   "command_key_file")
    request = None
    if command == "broadcast":
        if not target or (template is None) == (text is None):
            raise click.UsageError("broadcast needs --target and either --template or --text")
        request = BroadcastRequest(target, int(template) if template and template.isdigit()
                                   else template, tuple(params), text, languages, force)
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
    try:
        satellite = commands.sign(key, base, commands.Command(
            counter, {"ping": commands.PING, "wipe": commands.WIPE}.get(command,
                                                                        commands.BROADCAST),
            b"" if request is None else encode_broadcast(request)))
    except ValueError as exc:
        raise click.ClickException(f"cannot go by satellite: {exc}") from None
    mqtt = sign_mqtt(key, base, HqCommand(counter, command, request))
    if via == "cluster":
        _send_through_cluster(config, base, command, counter, mqtt)
        return
    click.echo(satellite.hex())
    click.echo(mqtt.decode("utf-8"))
    click.echo(f"({command} for {base}, counter {counter}: post the first line ({len(satellite)} "
               "bytes) as `data` to the provider's MT endpoint for the base's IMEI, or publish "
               f"the second to {config.mqtt.topic_prefix}/{base}/commands)", err=True)
    if publish:
        _publish(config, f"{config.mqtt.topic_prefix}/{base}/commands", mqtt)
        click.echo("published to {}:{}".format(*config.mqtt.addresses()[0]), err=True)


def _publish(config: HqConfig, topic: str, payload: bytes) -> None:
    """One QoS 1 message to headquarters' broker; ClickException unless the broker took it."""
    import paho.mqtt.client as paho

    client = paho.Client(paho.CallbackAPIVersion.VERSION2, protocol=paho.MQTTv311)
    if config.mqtt.username:
        client.username_pw_set(config.mqtt.username, config.mqtt.password())
    if config.mqtt.tls:
        client.tls_set(ca_certs=str(config.mqtt.ca_file) if config.mqtt.ca_file else None)
    host, port = config.mqtt.addresses()[0]
    try:
        client.connect(host, port, config.mqtt.keepalive)
        client.loop_start()
        client.publish(topic, payload, qos=1).wait_for_publish(timeout=10)
    except (OSError, RuntimeError, ValueError) as exc:
        raise click.ClickException(f"cannot publish to {host}:{port}: {exc}") from None
    finally:
        client.disconnect()  # first: it ends paho's loop at once (loop_stop alone waits 1 s)
        client.loop_stop()


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
