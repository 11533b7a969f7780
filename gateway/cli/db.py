"""`cangw db ...`: a consistent copy of the store, and a check of its health."""

from __future__ import annotations

import datetime as dt
import json
import sqlite3
from pathlib import Path

import click

from gateway.cli.common import CliContext, json_option, pass_context
from gateway.errors import StoreError
from gateway.store import Store, maintenance


@click.group()
def db() -> None:
    """The SQLite store: backup and check."""


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
