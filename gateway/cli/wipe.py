"""`cangw wipe` and `cangw setup-after-wipe`: the emergency wipe from the command line, and the
way back to a working (empty) gateway afterwards."""

from __future__ import annotations

import time
from pathlib import Path

import click

from gateway import wipe as emergency
from gateway.cli.common import CliContext, audit, pass_context
from gateway.wipe.journal import Journal

DAEMON_WAIT = 180.0  # seconds the daemon may take to stop its links and send its last words


@click.command("wipe")
@click.option("--yes", is_flag=True, help="Do not ask (for scripts).")
@pass_context
def wipe(ctx: CliContext, yes: bool) -> None:
    """Destroy everything the gateway stored, now and irreversibly: the data key first (from
    that instant nothing stored is readable), then the store, its backups, the pseudonym
    secret, the command keys, the logs, the SMS and phonebook on the SIM; headquarters gets a
    last `wiped` event. The gateway then stays stopped until `cangw setup-after-wipe`."""
    config = ctx.config
    if not yes:
        typed = click.prompt(f"This destroys every number, name and message of base "
                             f"{config.base.id} for good. Type the base id to wipe", default="",
                             show_default=False)
        if typed.strip() != config.base.id:
            raise click.ClickException("not the base id: nothing done")
    report = emergency.wipe(config, "cli")
    audit(f"cangw wipe: base {config.base.id} wiped")
    click.echo(f"nothing stored is readable any more ({report.unreadable_after * 1000:.0f} ms); "
               f"files erased ({report.erased_after * 1000:.0f} ms)")
    if emergency.daemon_running(config.store.path):
        click.echo("the running daemon stops its links, empties the SIM and tells headquarters")
        journal = _wait_for_daemon(config.store.path)
    else:
        journal = emergency.finish(config)
    for step, outcome in journal.record.get("steps", {}).items():
        click.echo(f"{step:>10}: {outcome}")
    if not journal.done:
        raise click.ClickException("the daemon has not finished the wipe yet: it finishes it "
                                   "when it stops, or at its next start")


def _wait_for_daemon(store_path: Path) -> Journal:
    deadline = time.monotonic() + DAEMON_WAIT
    while True:
        journal = Journal.load(store_path)
        assert journal is not None  # written by the wipe just made; only a set-up removes it
        if journal.done or time.monotonic() > deadline:
            return journal
        time.sleep(0.2)


@click.command("setup-after-wipe")
@click.option("--yes", is_flag=True, help="Do not ask (for scripts).")
@pass_context
def setup_after_wipe(ctx: CliContext, yes: bool) -> None:
    """Let a wiped gateway start again, empty: a new data key and store are made at the next
    start. Register the focal points again, and put back the command key and the broker's
    password (the wipe destroyed them) first."""
    config = ctx.config
    journal = Journal.load(config.store.path)
    if journal is None:
        raise click.ClickException("this gateway was not wiped")
    if not journal.done:
        raise click.ClickException("the wipe is not finished: run `cangw wipe --yes` to finish it")
    if not yes:
        click.confirm(f"Set base {config.base.id} up again, empty?", abort=True)
    journal.path.unlink()
    audit(f"cangw setup-after-wipe: base {config.base.id} may start again")
    click.echo("the gateway starts empty at the next `cangw run` (systemctl start cangw); "
               "missing now: " + (", ".join(journal.record.get("secrets", []) +
                                           journal.record.get("last", [])) or "nothing"))
