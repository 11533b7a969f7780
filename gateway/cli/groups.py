"""`cangw group ...`: named sets of focal points that broadcasts address (`group:chiefs`)."""

from __future__ import annotations

from pathlib import Path

import click

from gateway.cli.common import CliContext, emit, json_option, pass_context
from gateway.store import Store
from gateway.store import groups as group_store


@click.group("group")
def group() -> None:
    """Groups of focal points (chiefs, women-leaders, ...), for broadcasts."""


@group.command("list")
@json_option
@pass_context
def group_list(ctx: CliContext, as_json: bool) -> None:
    """Every group with how many members it has."""
    with ctx.store() as store:
        rows = [{"name": g.name, "members": g.members, "description": g.description}
                for g in group_store.groups(store.db)]
    emit(rows, ["name", "members", "description"], as_json)


@group.command("show")
@click.argument("name")
@json_option
@pass_context
def group_show(ctx: CliContext, name: str, as_json: bool) -> None:
    """A group's members (by name)."""
    with ctx.store() as store:
        found = _find(store, name)
        rows = [{"name": member} for _, member in group_store.members(store.db, found.id)]
    emit(rows, ["name"], as_json)


@group.command("add")
@click.argument("name")
@click.option("--description", default="", help="What the group is.")
@pass_context
def group_add(ctx: CliContext, name: str, description: str) -> None:
    """Make a group (or change its description)."""
    with ctx.store() as store, store.transaction() as db:
        try:
            group_store.create(db, name, description)
        except ValueError as exc:
            raise click.ClickException(str(exc)) from None
    click.echo(f"group {name.strip().lower()} ready")


@group.command("remove")
@click.argument("name")
@pass_context
def group_remove(ctx: CliContext, name: str) -> None:
    """Remove a group (its members stay in the registry)."""
    with ctx.store() as store, store.transaction() as db:
        if not group_store.remove(db, name):
            raise click.ClickException(f"no group {name!r}")
    click.echo(f"group {name} removed")


@group.command("add-member")
@click.argument("name")
@click.argument("identities", nargs=-1, required=True)
@pass_context
def group_add_member(ctx: CliContext, name: str, identities: tuple[str, ...]) -> None:
    """Put focal points (by phone number or callsign) in group NAME (made if needed)."""
    _members(ctx, name, identities, add=True)


@group.command("remove-member")
@click.argument("name")
@click.argument("identities", nargs=-1, required=True)
@pass_context
def group_remove_member(ctx: CliContext, name: str, identities: tuple[str, ...]) -> None:
    """Take focal points (by phone number or callsign) out of group NAME."""
    _members(ctx, name, identities, add=False)


def _members(ctx: CliContext, name: str, identities: tuple[str, ...], add: bool) -> None:
    changed = 0
    with ctx.store() as store, store.transaction() as db:
        try:
            group_id = group_store.create(db, name) if add else _find(store, name).id
        except ValueError as exc:
            raise click.ClickException(str(exc)) from None
        for identity in identities:
            focal_id = group_store.focal_by_identity(db, identity, ctx.config.base.country_code)
            if focal_id is None:
                raise click.ClickException(f"no focal point {identity!r} (cangw focal list)")
            change = group_store.add_member if add else group_store.remove_member
            changed += change(db, group_id, focal_id)
    click.echo(f"{changed} focal point(s) {'added to' if add else 'taken out of'} "
               f"{name.strip().lower()}")


@group.command("import")
@click.argument("csv_file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@pass_context
def group_import(ctx: CliContext, csv_file: Path) -> None:
    """Import memberships from CSV: group,member (member: a phone number or a callsign; the
    column may be called phone or callsign). Groups are made as needed; bad rows are reported
    by line number, good ones kept."""
    with ctx.store() as store, store.transaction() as db:
        report = group_store.import_members(db, csv_file, ctx.config.base.country_code)
    for line, error in report.errors:
        click.echo(f"line {line}: {error}", err=True)
    click.echo(f"{report.imported} membership(s) imported, {len(report.errors)} row(s) refused")


def _find(store: Store, name: str) -> group_store.Group:
    found = group_store.find(store.db, name)
    if found is None:
        raise click.ClickException(f"no group {name!r} (cangw group list)")
    return found
