"""`cangw network ...`: who is overdue for a check-in, and where the network is thin."""

from __future__ import annotations

import json
import time

import click

from gateway.cli.common import CliContext, emit, json_option, local_time, pass_context
from gateway.store import network as network_store
from gateway.triage.report import network_report, silent_now


@click.group()
def network() -> None:
    """The network of focal points: who is silent, who is missing, where it is thin."""


@network.command("silent")
@json_option
@pass_context
def network_silent(ctx: CliContext, as_json: bool) -> None:
    """Who missed a check-in and has not been heard since (this shows names: base only)."""
    with ctx.store() as store:
        rows = [{"who": s.who, "kind": s.kind, "village": s.village, "zone": s.zone,
                 "overdue_since": local_time(s.due_at), "last_heard": local_time(s.last_heard_at),
                 "incident": s.incident} for s in silent_now(store)]
    emit(rows, ["who", "kind", "village", "zone", "overdue_since", "last_heard", "incident"],
         as_json)


@network.command("report")
@click.option("--focal-points", "per_person", is_flag=True,
              help="Per focal point instead: reports sent, confirmed, false alarms, last heard "
                   "(names and numbers: base only).")
@json_option
@pass_context
def network_report_command(ctx: CliContext, per_person: bool, as_json: bool) -> None:
    """Per village and zone: focal points (women, youth, active), last heard, reports in 30
    and 90 days, how incidents ended; villages without an active focal point or silent."""
    with ctx.store() as store:
        if per_person:
            rows = [row | {"last_heard": local_time(row.pop("last_heard_at"))}
                    for row in network_store.focal_figures(store.db)]
            emit(rows, ["name", "phone", "callsign", "village", "reports", "confirmed",
                        "false_alarms", "last_heard"], as_json)
            return
        report = network_report(store.db, ctx.config, time.time())
    if as_json:
        click.echo(json.dumps(report, ensure_ascii=False, indent=2))
        return
    shown = [v | {"last_heard": local_time(v["last_heard_at"]),
                  "active": v["active_focal_points"], "30d": v["reports_30d"],
                  "90d": v["reports_90d"], "responded": v["closed_after_response"]}
             for v in report["villages"]]
    emit(shown, ["number", "name", "zone", "focal_points", "women", "youth", "active",
                 "last_heard", "30d", "90d", "responded", "false_alarms"], False)
    click.echo("")
    emit([z | {"last_heard": local_time(z["last_heard_at"]),
               "no_active": z["villages_without_active_focal_point"],
               "silent": z["villages_silent"]} for z in report["zones"]],
         ["zone", "villages", "focal_points", "women", "youth", "no_active", "silent",
          "last_heard", "reports_30d", "false_alarms"], False)
    names = {v["number"]: v["name"] for v in report["villages"]}
    click.echo(f"\nno focal point heard in {report['active_days']} days: "
               + (", ".join(names[n] for n in report["without_active_focal_point"]) or "none"))
    click.echo(f"silent for more than {report['silent_days']} days: "
               + (", ".join(names[n] for n in report["silent"]) or "none"))
