"""`cangw console`, `cangw user ...` and `cangw audit list`: the web console, its users and
what they did; with --hq, headquarters' console and its users, in headquarters' store."""

from __future__ import annotations

import logging
import sys

import click

from gateway.cli.common import CliContext, emit, json_option, local_time, pass_context
from gateway.cli.hq import load_hq
from gateway.cli.run import LOG_FORMAT, log_level_option
from gateway.config import config_path
from gateway.hq.accounts import open_console_store
from gateway.hq.config import HqConfig
from gateway.store import Store
from gateway.store import audit as audit_store
from gateway.store import users as user_store
from gateway.wipe import wiped

HQ_MODE = "cangw.hq"  # the group's --hq, for its commands


hq_option = click.option(
    "--hq", is_flag=True, help="Headquarters': -c names hq.toml (else $CANGW_HQ_CONFIG, else "
    "/etc/cangw/hq.toml) and its store holds the users.")


@click.command()
@log_level_option("Logging level (DEBUG logs every request, by path only).")
@hq_option
@pass_context
def console(ctx: CliContext, log_level: str, hq: bool) -> None:
    """Serve the duty officer's web console ([console] bind, port, TLS) until stopped; with
    --hq, headquarters' console: every base, its incidents and the partners' CAP feed."""
    from gateway.console.server import serve, serve_hq  # the web stack only for this command

    # the libraries' own debug lines carry request bodies and pushed pages: never below INFO
    logging.basicConfig(level=logging.INFO, format=LOG_FORMAT, stream=sys.stderr)
    logging.getLogger("gateway").setLevel(log_level.upper())
    if hq:
        serve_hq(hq_config(ctx))
        return
    if not wiped(ctx.config):  # after a wipe it serves only that fact, and opens nothing
        with ctx.store():  # a store that opens (and is migrated) before the server starts
            pass
    serve(ctx.config)


def hq_config(ctx: CliContext) -> HqConfig:
    """hq.toml: the file `-c` named, else $CANGW_HQ_CONFIG, else /etc/cangw/hq.toml."""
    return load_hq(str(ctx.config_file) if ctx.config_file != config_path(None) else None)


def at_hq() -> bool:
    return bool(click.get_current_context().meta.get(HQ_MODE))


def users_store(ctx: CliContext) -> Store:
    """The store that holds the console's users: the base's, or headquarters' with --hq."""
    return open_console_store(hq_config(ctx).store.path) if at_hq() else ctx.store()


@click.group()
@hq_option
@click.pass_context
def user(click_ctx: click.Context, hq: bool) -> None:
    """The console's users: officer (alerts, map, numbers masked), technician (health, queues,
    registry; no message texts), admin (everything, full numbers, registry changes, audit),
    partner (another organisation's reader of the CAP feed, /feed.atom, and of nothing else).
    With --hq, headquarters' users."""
    click_ctx.meta[HQ_MODE] = hq


password_option = click.option(
    "--password", prompt=True, hide_input=True, confirmation_prompt=True,
    help=f"At least {user_store.MIN_PASSWORD} characters [asked for when left out].")


@user.command("add")
@click.argument("name")
@click.option("--role", type=click.Choice(user_store.ROLES), required=True,
              help="partner: the CAP feed only.")
@click.option("--language", type=click.Choice(user_store.LANGUAGES), default="fr",
              show_default=True, help="The console's language for this user.")
@password_option
@pass_context
def user_add(ctx: CliContext, name: str, role: str, language: str, password: str) -> None:
    """Create a console user."""
    with users_store(ctx) as store:
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
    with users_store(ctx) as store:
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
    with users_store(ctx) as store:
        if not user_store.remove_user(store, name):
            raise click.ClickException(f"no user {name}")
        audit_store.record(store, None, "user removed", name, "cli")
    click.echo(f"user {name} removed")


@user.command("list")
@json_option
@pass_context
def user_list(ctx: CliContext, as_json: bool) -> None:
    """List the console's users."""
    with users_store(ctx) as store:
        rows = [{"name": u.name, "role": u.role, "language": u.language,
                 "password_set": local_time(u.changed_at)} for u in user_store.users(store.db)]
    emit(rows, ["name", "role", "language", "password_set"], as_json)


@click.group()
@hq_option
@click.pass_context
def audit(click_ctx: click.Context, hq: bool) -> None:
    """What was done at the console, by whom and when (--hq: at headquarters' console)."""
    click_ctx.meta[HQ_MODE] = hq


@audit.command("list")
@click.option("--limit", default=50, show_default=True, help="At most this many, newest first.")
@click.option("--user", "who", help="Only this user's actions.")
@json_option
@pass_context
def audit_list(ctx: CliContext, limit: int, who: str | None, as_json: bool) -> None:
    """List console actions, newest first."""
    with users_store(ctx) as store:
        rows = [{"at": local_time(e.at), "user": e.user, "action": e.action, "target": e.target,
                 "detail": e.detail, "address": e.address}
                for e in audit_store.entries(store.db, limit, user=who)]
    emit(rows, ["at", "user", "action", "target", "detail", "address"], as_json)
