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
from gateway.outreach.hq_wire import BroadcastRequest, HqCommand, encode_broadcast, sign_mqtt
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
@click.argument("command", type=click.Choice(["ping", "broadcast"]))
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
def hq_command(hq_config: str | None, base: str, command: str, target: str | None,
               template: str | None, params: tuple[str, ...], text: str | None,
               languages: tuple[str, ...], force: bool, publish: bool) -> None:
    """Make an authenticated command for BASE and print it in both forms, with one counter (the
    base carries it out once, whichever way it arrives first): the satellite form in hex (for
    the provider's send-to-modem form or API), then the MQTT form (a JSON line). ping: the base
    answers with its status; broadcast: it warns the focal points the target names."""
    from gateway.hq.store import HqStore

    config = _load(hq_config)
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
        counter = store.next_counter(base, time.time())
    finally:
        store.close()
    try:
        satellite = commands.sign(key, base, commands.Command(
            counter, commands.PING if request is None else commands.BROADCAST,
            b"" if request is None else encode_broadcast(request)))
    except ValueError as exc:
        raise click.ClickException(f"cannot go by satellite: {exc}") from None
    mqtt = sign_mqtt(key, base, HqCommand(counter, command, request))
    click.echo(satellite.hex())
    click.echo(mqtt.decode("utf-8"))
    click.echo(f"({command} for {base}, counter {counter}: post the first line ({len(satellite)} "
               "bytes) as `data` to the provider's MT endpoint for the base's IMEI, or publish "
               f"the second to {config.mqtt.topic_prefix}/{base}/commands)", err=True)
    if publish:
        _publish(config, f"{config.mqtt.topic_prefix}/{base}/commands", mqtt)
        click.echo(f"published to {config.mqtt.host}:{config.mqtt.port}", err=True)


def _publish(config: HqConfig, topic: str, payload: bytes) -> None:
    """One QoS 1 message to headquarters' broker; ClickException unless the broker took it."""
    import paho.mqtt.client as paho

    client = paho.Client(paho.CallbackAPIVersion.VERSION2, protocol=paho.MQTTv311)
    if config.mqtt.username:
        client.username_pw_set(config.mqtt.username, config.mqtt.password())
    if config.mqtt.tls:
        client.tls_set(ca_certs=str(config.mqtt.ca_file) if config.mqtt.ca_file else None)
    try:
        client.connect(config.mqtt.host, config.mqtt.port, config.mqtt.keepalive)
        client.loop_start()
        client.publish(topic, payload, qos=1).wait_for_publish(timeout=10)
    except (OSError, RuntimeError, ValueError) as exc:
        raise click.ClickException(f"cannot publish to {config.mqtt.host}:{config.mqtt.port}: "
                                   f"{exc}") from None
    finally:
        client.loop_stop()
        client.disconnect()
