"""`cangw modem ...`: the GSM modem's identity and health, a test SMS, raw AT commands, credit.

While the daemon runs it holds the modem's port (with a lock other processes can see), so
`info` then shows what the daemon last recorded, and `at` refuses unless forced.
"""

from __future__ import annotations

import json
import queue
import time

import click

from gateway.alerts.phone import normalise_phone
from gateway.alerts.pipeline import PRIORITY
from gateway.at import AtChannel
from gateway.cli.common import CliContext, audit, json_option, local_time, pass_context
from gateway.errors import CommandError, LinkError, ModemTimeout, PortBusy
from gateway.gsm.config import GsmConfig
from gateway.gsm.credit import REQUEST_KEY as CREDIT_REQUEST
from gateway.gsm.credit import record_answer
from gateway.gsm.modem import GsmModem
from gateway.gsm.profiles import find_profile, load_profiles
from gateway.gsm.voice import ModemVoice, ussd_text
from gateway.store import links as link_status
from gateway.store import outbox

USSD_WAIT = 30.0
INFO_FIELDS = ("manufacturer", "model", "revision", "imei", "signal", "signal_dbm",
               "registration", "operator", "storage_used", "storage_total")


@click.group()
def modem() -> None:
    """The GSM modem: identity and health, a test SMS, raw AT commands, SIM credit."""


@modem.command("info")
@json_option
@pass_context
def modem_info(ctx: CliContext, as_json: bool) -> None:
    """Manufacturer, model, IMEI, signal, registration, operator and SMS storage use. Asks the
    modem when its port is free; while the daemon holds it, shows the daemon's last record."""
    gsm = _gsm(ctx)
    try:
        info = _ask_modem(gsm) | {"source": f"the modem on {gsm.port}, now"}
    except PortBusy:
        info = _recorded(ctx)
    except LinkError as exc:
        raise click.ClickException(str(exc)) from None
    model = info.get("model")
    profile = find_profile(load_profiles(), str(model) if model else None)
    info["profile"] = profile.key if profile else None
    if as_json:
        click.echo(json.dumps(info, indent=2, ensure_ascii=False))
        return
    for key, value in info.items():
        click.echo(f"{key:>14}: {'-' if value is None else value}")
    if profile is not None:
        click.echo(f"{'':>14}  {profile.name} (quirks: firmware-config/modems.toml)")


@modem.command("send")
@click.argument("number")
@click.argument("text")
@pass_context
def modem_send(ctx: CliContext, number: str, text: str) -> None:
    """Queue a test SMS to NUMBER; the daemon's GSM worker sends it like an acknowledgement
    (watch it with `cangw outbox list --state done`)."""
    _gsm(ctx)
    recipient = normalise_phone(number, ctx.config.base.country_code)
    if recipient is None:
        raise click.ClickException(f"not a phone number: {number!r}")
    if not text.strip():
        raise click.ClickException("the text is empty")
    with ctx.store() as store:
        with store.transaction() as db:
            row = outbox.enqueue(db, "sms", PRIORITY["Minor"], time.time(), None, recipient, text)
        audit(f"cangw modem send: test SMS to {store.pseudonymiser()(recipient)} queued as "
              f"outbox row {row}")
    click.echo(f"test SMS to {recipient} queued as outbox row {row}; the daemon sends it")


@modem.command("at")
@click.argument("command")
@click.option("--force", is_flag=True,
              help="Share the port with the running daemon (see the risk above).")
@click.option("--timeout", default=10.0, show_default=True, help="Seconds to wait for the reply.")
@click.option("--listen", default=0.0, show_default=True,
              help="Then wait up to this many seconds for unsolicited lines (a USSD answer, "
                   "+CUSD, comes after the OK).")
@pass_context
def modem_at(ctx: CliContext, command: str, force: bool, timeout: float, listen: float) -> None:
    """Send one raw AT COMMAND (e.g. "AT+CSQ") and print the reply, for diagnosis.

    Refused while the daemon holds the port. With --force both read the same replies: either
    may take the other's answer (the daemon then times out one command and reconnects), and a
    +CMTI notification read here is lost to the daemon, whose storage sweep still finds that
    SMS within [gsm] sweep_interval. Nothing is lost, but receiving may pause for seconds.
    Stopping the daemon (systemctl stop cangw) is the clean way."""
    gsm = _gsm(ctx)
    if not command.upper().startswith("AT"):
        raise click.ClickException("an AT command starts with AT, e.g. AT+CSQ")
    if command.upper().startswith("AT+CMGS"):
        raise click.ClickException("use `cangw modem send` to send an SMS")
    channel = AtChannel(gsm.port, gsm.baudrate, timeout, exclusive=not force)
    try:
        channel.open()
    except PortBusy:
        raise click.ClickException(
            f"the daemon holds {gsm.port}; stop it (systemctl stop cangw) or add --force "
            "(see cangw modem at --help for the risk)") from None
    except LinkError as exc:
        raise click.ClickException(str(exc)) from None
    try:
        lines, final = channel.command(command, timeout=timeout), "OK"
    except CommandError as exc:
        lines, final = [], exc.response
    except ModemTimeout:
        lines, final = [], f"(no reply within {timeout:g} s)"
    for line in lines:
        click.echo(line)
    click.echo(final)
    try:
        for line in _unsolicited(channel, listen):
            click.echo(f"(unsolicited) {line}")
    finally:
        channel.close()
    if final != "OK":
        raise SystemExit(1)


def _unsolicited(channel: AtChannel, listen: float) -> list[str]:
    """Unsolicited lines already received, then those arriving within `listen` seconds (the
    wait ends half a second after the first one: a USSD answer is one line)."""
    lines: list[str] = []
    deadline = time.monotonic() + listen
    while True:
        try:
            lines.append(channel.urcs.get(timeout=max(0.0, deadline - time.monotonic()))[1])
        except queue.Empty:
            return lines
        deadline = min(deadline, time.monotonic() + 0.5)


def _gsm(ctx: CliContext) -> GsmConfig:
    if ctx.config.gsm is None:
        raise click.ClickException(f"{ctx.config.source}: no [gsm] section")
    return ctx.config.gsm


def _ask_modem(gsm: GsmConfig) -> dict[str, object]:
    modem = GsmModem(gsm)
    modem.open(initialise=False)  # diagnosis only: leave the modem's settings alone
    try:
        info: dict[str, object] = dict(modem.identity())
        network = modem.network()
        info |= {"signal": network.signal, "signal_dbm": network.signal_dbm,
                 "registration": network.registration, "operator": network.operator}
        try:
            used = modem.storage_use()
        except CommandError:
            used = None  # no SIM, or SIM locked
        info |= {"storage_used": used[0] if used else None,
                 "storage_total": used[1] if used else None}
    finally:
        modem.close()
    return info


def _recorded(ctx: CliContext) -> dict:
    with ctx.store() as store:
        row = link_status.all_links(store.db).get("gsm")
    if row is None:
        raise click.ClickException("the daemon holds the modem's port but has not recorded the "
                                   "modem yet; try again in a minute")
    return {key: row.get(key) for key in INFO_FIELDS} | {
        "state": row["state"], "source": f"the daemon's record of {local_time(row['updated_at'])}"}


@modem.command("balance")
@json_option
@pass_context
def modem_balance(ctx: CliContext, as_json: bool) -> None:
    """Check the SIM's credit now with the USSD code in [credit]. While the daemon holds the
    modem's port, the daemon runs the check (within a few seconds) and this shows its answer."""
    config = ctx.config
    if config.credit is None:
        raise click.ClickException(f"{config.source}: no [credit] section (ussd, low)")
    gsm = _gsm(ctx)
    asked = time.time()
    try:
        text, error = _ussd_now(gsm, config.credit.ussd)
        with ctx.store() as store:
            record_answer(store, config.credit, config.base.id, text, error)
    except PortBusy:
        with ctx.store() as store, store.transaction():
            store.set_meta(CREDIT_REQUEST, repr(asked))
        click.echo("the daemon holds the modem: it is asked to check the credit...", err=True)
    except LinkError as exc:
        raise click.ClickException(f"{gsm.port}: {exc}") from None
    row = _credit_after(ctx, asked)
    if as_json:
        click.echo(json.dumps(row, indent=2, ensure_ascii=False))
        return
    for key in ("state", "balance", "threshold", "reply", "checked_at", "error"):
        click.echo(f"{key:>10}: {'-' if row.get(key) is None else row[key]}")


def _ussd_now(gsm: GsmConfig, code: str) -> tuple[str | None, str | None]:
    """Ask the balance on a free port; (the operator's answer, or the reason there is none)."""
    modem = GsmModem(gsm)
    modem.open(initialise=False)
    try:
        ModemVoice(modem.at, None).request_ussd(code)
        deadline = time.monotonic() + USSD_WAIT
        while time.monotonic() < deadline:
            try:
                _, line = modem.urcs.get(timeout=0.5)
            except queue.Empty:
                continue
            answer = ussd_text(line)
            if answer is not None:
                status, text = answer
                return (text or None), (None if status in (0, 1) else
                                        f"the network refused the USSD request ({status})")
        return None, f"no USSD answer within {USSD_WAIT:.0f} s"
    finally:
        modem.close()


def _credit_after(ctx: CliContext, asked: float) -> dict:
    deadline = time.monotonic() + USSD_WAIT + 15
    while time.monotonic() < deadline:
        with ctx.store() as store:
            row = link_status.all_links(store.db).get("credit")
        if row is not None and row["updated_at"] >= asked:
            return row
        time.sleep(0.5)
    raise click.ClickException("no credit check was recorded; is the daemon's GSM link up?")
