"""`cangw status`: the gateway's health as the store knows it."""

from __future__ import annotations

import json

import click

from gateway.cli.common import CliContext, json_option, pass_context
from gateway.status import collect

SHOWN_FIRST = ("signal", "signal_dbm", "registration", "operator", "broker", "error")
COUNTERS = {"reconnects", "resets", "power_cycles"}  # shown once something happened
NOT_SHOWN = {"state", "updated_at", "manufacturer", "revision", "imei", "port"}


@click.command()
@json_option
@pass_context
def status(ctx: CliContext, as_json: bool) -> None:
    """Each link's state and last activity, queues, oldest undelivered alert, last error,
    the store's integrity and free disk (works while the daemon runs)."""
    with ctx.store() as store:
        report = collect(store, ctx.config)
    if as_json:
        click.echo(json.dumps(report, indent=2, ensure_ascii=False))
        return
    click.echo(f"base {report['base']} ({report['name']}), cangw {report['version']}")
    for name, info in report["links"].items():
        click.echo(f"  {name:<6} {info['state']:<11} {_details(info)} (as of {info['updated_at']})")
    if not report["links"]:
        click.echo("  no link has reported yet (is the daemon running?)")
    for destination, counts in report["queue"].items():
        click.echo(f"  queue {destination}: " + ", ".join(f"{n} {s}" for s, n in counts.items()))
    click.echo(f"  oldest undelivered: {report['oldest_undelivered_at'] or '-'}")
    click.echo(f"  last alert: {report['last_alert_at'] or '-'}")
    silent = report["silence"]
    click.echo(f"  check-ins missed: {silent['overdue']} (villages: {silent['villages']}, since "
               f"{silent['since']}; cangw network silent)" if silent["overdue"]
               else "  check-ins missed: none")
    error = report["last_error"]
    click.echo(f"  last error: {error['link']} at {error['at']}: {error['error']}" if error
               else "  last error: -")
    click.echo("  " + _store_line(report["store"]))
    failures = report["sms_failures"]
    if failures["failing"]:
        credit = report["links"].get("credit", {})
        hint = " (the SIM's credit is low: top it up)" if credit.get("state") == "low" else \
            " (errors operators give for no credit)" if failures["credit_like_errors"] else ""
        click.echo(f"  acknowledgements failing: {failures['failing']}, last "
                   f"{failures['last_error']}{hint}")


def _details(info: dict) -> str:
    ordered = [k for k in SHOWN_FIRST if k in info] + sorted(
        k for k in info if k not in SHOWN_FIRST and k not in NOT_SHOWN)
    return ", ".join(f"{k}={info[k]}" for k in ordered
                     if info[k] not in (None, "") and not (k in COUNTERS and info[k] == 0))


def _store_line(store: dict) -> str:
    disk = f"{store['disk_free_mb']} MB free"
    if store["low_disk"]:
        disk += f" - LOW (below {store['min_free_mb']} MB)"
    line = f"store: {store['integrity']}, disk {disk}"
    replaced = store["replaced"]
    if replaced:
        line += (f"\n  store REPLACED at {replaced['at']}: the damaged file is kept as "
                 f"{replaced['moved_to']} ({replaced['reason']})")
    return line
