"""`cangw db ...`: a consistent copy of the store, a check of its health, and retention."""

from __future__ import annotations

import datetime as dt
import json
import sqlite3
import time
from pathlib import Path

import click

from gateway.cli.common import CliContext, audit, json_option, local_time, pass_context
from gateway.errors import StoreError
from gateway.store import Store, maintenance, retention


@click.group()
def db() -> None:
    """The SQLite store: backup, check and retention."""


@db.command("backup")
@click.argument("path", type=click.Path(path_type=Path))
@click.option("--force", is_flag=True, help="Replace PATH if it exists.")
@json_option
@pass_context
def db_backup(ctx: CliContext, path: Path, force: bool, as_json: bool) -> None:
    """Copy the store to PATH (a file, or a folder to get a dated file) while the daemon runs:
    a consistent snapshot through SQLite's online backup API, checked before it is kept."""
    if path.is_dir():
        stamp = dt.datetime.now().strftime("%Y%m%d-%H%M%S")
        path = path / f"cangw-{ctx.config.base.id}-{stamp}.db"
    if path.exists() and not force:
        raise click.ClickException(f"{path} exists (add --force to replace it)")
    with ctx.store() as store:
        try:
            report = maintenance.backup(store, path)
        except (sqlite3.Error, OSError) as exc:
            raise click.ClickException(f"backup failed: {exc}") from None
    if as_json:
        click.echo(json.dumps(report, indent=2))
        return
    counts = ", ".join(f"{v} {k}" for k, v in report.items() if k not in ("path", "bytes"))
    click.echo(f"backed up to {report['path']} ({report['bytes']} bytes: {counts})")


@db.command("check")
@json_option
@pass_context
def db_check(ctx: CliContext, as_json: bool) -> None:
    """Check the store: integrity, foreign keys, migrations, journal mode, sizes, free disk.
    Exits 1 when something is wrong."""
    path = ctx.config.store.path
    if not path.exists():
        raise click.ClickException(f"{path}: no store there (has the daemon ever run?)")
    try:
        store = Store.open(path, migrate=False, key_file=ctx.config.store.data_key)
        with store:
            health = maintenance.check(store)
    except (StoreError, sqlite3.DatabaseError) as exc:
        health = maintenance.Health(problems=[f"cannot read the store: {exc}"],
                                    facts={"path": str(path)})
    if as_json:
        click.echo(json.dumps({"ok": not health.problems, "problems": health.problems,
                               **health.facts}, indent=2))
    else:
        for key, value in health.facts.items():
            click.echo(f"{key:>14}: {value}")
        for problem in health.problems:
            click.echo(f"PROBLEM: {problem}")
        click.echo("store OK" if not health.problems else f"{len(health.problems)} problem(s)")
    if health.problems:
        raise SystemExit(1)


PURGED = {"messages": "messages", "alerts": "alerts", "sms_parts": "parts of long SMS",
          "outbox": "outgoing texts"}


@db.command("purge")
@click.option("--dry-run", is_flag=True, help="Only count what would be erased.")
@json_option
@pass_context
def db_purge(ctx: CliContext, dry_run: bool, as_json: bool) -> None:
    """Erase now who sent and what said every message older than [store] retention_days (the
    daemon does it daily): senders, texts, PDUs, delivered outgoing texts. Alert facts stay."""
    days = ctx.config.store.retention_days
    with ctx.store() as store:
        done = retention.purge(store, days, time.time(), dry_run=dry_run)
    if not dry_run:
        audit(f"cangw db purge: {done.total} row(s) older than {days} days erased")
    if as_json:
        click.echo(json.dumps({"dry_run": dry_run, "retention_days": days,
                               "before": dt.datetime.fromtimestamp(done.cutoff, dt.UTC)
                               .isoformat(), "rows": done.erased}, indent=2))
        return
    what = ", ".join(f"{done.erased[table]} {label}" for table, label in PURGED.items())
    verb = "would erase" if dry_run else "erased"
    click.echo(f"{verb} the senders and texts from before {local_time(done.cutoff)} "
               f"(retention_days = {days}): {what}")
