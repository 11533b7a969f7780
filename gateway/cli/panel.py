"""`cangw panel test`: check the panel's wiring, output by output, then the button."""

from __future__ import annotations

import threading
import time

import click

from gateway.cli.common import CliContext, pass_context
from gateway.errors import LinkError
from gateway.gsm.power import open_relay
from gateway.panel import selftest
from gateway.panel.config import PanelConfig
from gateway.panel.devices import PanelDevices, cycle_outputs

DAEMON_ANSWER = 3.0  # the daemon's panel worker reads the store twice a second


@click.group()
def panel() -> None:
    """The alarm panel on the Pi's GPIO pins."""


@panel.command("test")
@click.option("--seconds", default=1.0, show_default=True, help="How long each output stays on.")
@click.option("--skip-relay", is_flag=True,
              help="Leave the modem power relay alone (pulsing it cuts the modem's power).")
@click.option("--button-wait", default=10.0, show_default=True,
              help="Seconds to wait for a press of the button (0: do not wait).")
@pass_context
def panel_test_command(ctx: CliContext, seconds: float, skip_relay: bool,
                       button_wait: float) -> None:
    """Switch each configured output on in turn (the LEDs, the buzzer, then the modem power
    relay, which restarts the modem) so a technician can check the wiring, then wait for a
    press of the button. While the daemon runs it holds the pins: the daemon runs the cycle."""
    config = ctx.config.panel
    if config is None or not config.pins():
        raise click.ClickException(f"{ctx.config.source}: no pins in a [panel] section")
    try:
        devices = PanelDevices(config)
    except LinkError as exc:
        _through_daemon(ctx, config, seconds, not skip_relay, str(exc))
        return
    try:
        relay = None
        if config.modem_power is not None and not skip_relay:
            try:
                relay = open_relay(config.modem_power, config.modem_power_active_high)
            except LinkError as exc:
                click.echo(f"modem_power: cannot drive it: {exc}")
        cycle_outputs(devices, relay, seconds, threading.Event(), click.echo)
        if relay is not None:
            relay.close()
        if devices.button is not None and button_wait > 0:
            click.echo(f"press the panel button (GPIO {config.button}) within {button_wait:g} s")
            if devices.button.wait_for_press(button_wait):
                devices.chirp()
                click.echo("button: pressed, wiring OK")
                time.sleep(0.3)
            else:
                raise click.ClickException("button: no press seen; check its wiring to GND")
    finally:
        devices.close()


def _through_daemon(ctx: CliContext, config: PanelConfig, seconds: float, relay: bool,
                    reason: str) -> None:
    click.echo(f"the panel's pins are in use ({reason}); asking the running daemon")
    with ctx.store() as store:
        wanted = selftest.request(store, seconds, relay, time.time())
        if selftest.wait(store, selftest.STARTED, wanted, DAEMON_ANSWER) is None:
            selftest.withdraw(store, wanted)
            raise click.ClickException(f"no daemon answered, and the pins cannot be used: {reason}")
        budget = len(config.pins()) * (seconds + 0.5) + 10
        outcome = selftest.wait(store, selftest.DONE, wanted, budget)
    if outcome is None:
        raise click.ClickException("the daemon started the test but did not report its end")
    for step in outcome["steps"]:
        click.echo(f"{step} (GPIO {getattr(config, step)}): cycled by the daemon")
    if outcome.get("problem"):
        click.echo(f"modem_power: {outcome['problem']}")
    if config.button is not None:
        click.echo("now press the panel button: the buzzer answers each press with a chirp")
