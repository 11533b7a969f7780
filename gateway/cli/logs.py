"""`cangw logs`: the daemon's journal and the technicians' audited actions, in one view."""

from __future__ import annotations

import shutil
import subprocess

import click

from gateway.cli.common import AUDIT_IDENTIFIER


@click.command()
@click.option("-f", "--follow", is_flag=True, help="Keep printing new lines.")
@click.option("-n", "--lines", default=100, show_default=True, help="How many recent lines.")
@click.option("--since", help="From this time, as journalctl takes it ('1 hour ago', '2026-11-23').")
@click.option("--unit", default="cangw.service", show_default=True, help="The systemd unit.")
@click.option("-D", "--directory", type=click.Path(exists=True, file_okay=False),
              help="Read a journal folder copied from another machine (e.g. a failed SD card).")
def logs(follow: bool, lines: int, since: str | None, unit: str, directory: str | None) -> None:
    """Show the daemon's log from the system journal (journalctl), with the audit lines of
    commands such as `outbox drop` and `modem send`."""
    journalctl = shutil.which("journalctl")
    if journalctl is None:
        raise click.ClickException("journalctl not found: this is not a systemd system")
    command = [journalctl, "--no-pager", "-n", str(lines), "-o", "short-iso"]
    command += ["--follow"] if follow else []
    command += ["--since", since] if since else []
    command += ["--directory", directory] if directory else []
    command += [f"_SYSTEMD_UNIT={unit}", "+", f"SYSLOG_IDENTIFIER={AUDIT_IDENTIFIER}"]
    try:
        code = subprocess.run(command, check=False).returncode
    except KeyboardInterrupt:
        code = 0
    raise SystemExit(code)
