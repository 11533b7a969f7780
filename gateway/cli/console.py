"""`cangw console`, `cangw user ...` and `cangw audit list`: the web console, its users and
what they did."""

from __future__ import annotations

import logging
import sys

import click

from gateway.cli.common import CliContext, emit, json_option, local_time, pass_context
from gateway.cli.run import LOG_FORMAT, log_level_option
from gateway.store import audit as audit_store
from gateway.store import users as user_store
from gateway.wipe import wiped


@click.command()
@log_level_option("Logging level (DEBUG logs every request, by path only).")
@pass_context
def console(ctx: CliContext, log_level: str) -> None:
    """Serve the duty officer's web console ([console] bind, port, TLS) until stopped."""
    from gateway.console.server import serve  # the web stack only for this command

    # the libraries' own debug lines carry request bodies and pushed pages: never below INFO
    logging.basicConfig(level=logging.INFO, format=LOG_FORMAT, stream=sys.stderr)
    logging.getLogger("gateway").setLevel(log_level.upper())
    if not wiped(ctx.config):  # after a wipe it serves only that fact, and opens nothing
        with ctx.store():  # a store that opens (and is migrated) before the server starts
            pass
    serve(ctx.config)


@click.group()
def user() -> None:
    """The console's users: officer (alerts, map, numbers masked), technician (health, queues,
    registry; no message texts), admin (everything, full numbers, registry changes, audit)."""


password_option = click.option(
    "--password", prompt=True, hide_input=True, confirmation_prompt=True,
    help=f"At least {user_store.MIN_PASSWORD} characters [asked for when left out].")


@user.command("add")
@click.argument("name")
@click.option("--role", type=click.Choice(user_store.ROLES), required=True)
@click.option("--language", type=click.Choice(user_store.LANGUAGES), default="fr",
              show_default=True, help="The console's language for this user.")
@password_option
@pass_context
def user_add(ctx: CliContext, name: str, role: str, language: str, password: str) -> None:
    """Create a console user."""
    with ctx.store() as store:
        try:
            user_store.add_user(store, name, role, password, language)
        except ValueError as exc:
            raise click.ClickException(str(exc)) from None
        audit_store.record(store, None, "user added", name, f"role {role} (cli)")
    click.echo(f"user {name} added ({role})")


@user.command("passwd")
@click.argument("name")
@password_option
@pass_context
def user_passwd(ctx: CliContext, name: str, password: str) -> None:
    """Set a user's password (their open sessions end)."""
    with ctx.store() as store:
        try:
            user_store.set_password(store, name, password)
        except ValueError as exc:
            raise click.ClickException(str(exc)) from None
        audit_store.record(store, None, "password changed", name, "cli")
    click.echo(f"password of {name} changed")


@user.command("remove")
@click.argument("name")
@pass_context
def user_remove(ctx: CliContext, name: str) -> None:
    """Remove a user (their open sessions end at their next request)."""
    with ctx.store() as store:
        if not user_store.remove_user(store, name):
            raise click.ClickException(f"no user {name}")
        audit_store.record(store, None, "user removed", name, "cli")
    click.echo(f"user {name} removed")


@user.command("list")
@json_option
@pass_context
def user_list(ctx: CliContext, as_json: bool) -> None:
    """List the console's users."""
    with ctx.store() as store:
        rows = [{"name": u.name, "role": u.role, "language": u.language,
                 "password_set": local_time(u.changed_at)} for u in user_store.users(store.db)]
    emit(rows, ["name", "role", "language", "password_set"], as_json)


@click.group()
def audit() -> None:
    """What was done at the console, by whom and when."""


@audit.command("list")
@click.option("--limit", default=50, show_default=True, help="At most this many, newest first.")
@click.option("--user", "who", help="Only this user's actions.")
@json_option
@pass_context
def audit_list(ctx: CliContext, limit: int, who: str | None, as_json: bool) -> None:
    """List console actions, newest first."""
    with ctx.store() as store:
        rows = [{"at": local_time(e.at), "user": e.user, "action": e.action, "target": e.target,
                 "detail": e.detail, "address": e.address}
                for e in audit_store.entries(store.db, limit, user=who)]
    emit(rows, ["at", "user", "action", "target", "detail", "address"], as_json)
