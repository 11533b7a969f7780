"""`cangw village ...` and `cangw focal ...`: who may warn the base, and from where."""

from __future__ import annotations

import dataclasses
from pathlib import Path

import click

from gateway.alerts.phone import normalise_phone
from gateway.cli.common import CliContext, emit, json_option, pass_context
from gateway.hf.callsign import normalise_callsign
from gateway.store import registry as reg
from gateway.store.registry import ImportReport


@click.group()
def village() -> None:
    """Villages: numbers and names (with other spellings) that alerts may name."""


@village.command("import")
@click.argument("csv_file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@pass_context
def village_import(ctx: CliContext, csv_file: Path) -> None:
    """Import villages from CSV: number,name[,alt_names][,lat][,lon][,zone][,checkin]
    (alt_names split by ';'; checkin a schedule such as 'by 18:00')."""
    with ctx.store() as store:
        _report(reg.import_villages(store, csv_file, ctx.config.triage.schedules), "village")


@village.command("list")
@json_option
@pass_context
def village_list(ctx: CliContext, as_json: bool) -> None:
    """List villages."""
    with ctx.store() as store:
        rows = [{"number": v.number, "name": v.name, "alt_names": ";".join(v.alt_names),
                 "lat": v.lat, "lon": v.lon, "zone": v.zone, "checkin": v.checkin}
                for v in reg.villages(store)]
    emit(rows, ["number", "name", "alt_names", "lat", "lon", "zone", "checkin"], as_json)


@village.command("set")
@click.argument("village_ref")
@click.option("--zone", help="The area the village belongs to ('-' for none).")
@click.option("--checkin", help="Its check-in schedule: 'by 18:00', 'at 07:00,17:00 within 30', "
              "a name from [triage.schedules], or '-' for none.")
@pass_context
def village_set(ctx: CliContext, village_ref: str, zone: str | None, checkin: str | None) -> None:
    """Set a village's zone or check-in schedule (VILLAGE_REF: its number or name)."""
    with ctx.store() as store:
        found = reg.find_village(store, village_ref)
        if found is None:
            raise click.ClickException(f"unknown village {village_ref!r} (cangw village list)")
        try:
            changed = dataclasses.replace(
                found, zone=found.zone if zone is None else (zone.strip() if zone.strip() not in
                                                             ("", "-") else None),
                checkin=found.checkin if checkin is None
                else reg.checkin_text(checkin, ctx.config.triage.schedules))
        except ValueError as exc:
            raise click.ClickException(str(exc)) from None
        reg.save_village(store, changed)
    click.echo(f"{changed.name}: zone {changed.zone or '-'}, check-in {changed.checkin or '-'}")


@click.group()
def focal() -> None:
    """Focal points: registered senders (phone, HF callsign), their village and language."""


@focal.command("import")
@click.argument("csv_file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@pass_context
def focal_import(ctx: CliContext, csv_file: Path) -> None:
    """Import focal points from CSV: phone,name[,village][,language][,callsign]
    [,call_meaning][,keypad][,gender][,age_group][,checkin] (phone or callsign may be empty,
    not both; keypad: yes/no; gender f/m/other, age_group youth/adult/elder, both optional).
    Bad rows are reported by line number; good rows are imported."""
    with ctx.store() as store:
        _report(reg.import_focal_points(store, csv_file, ctx.config.base.country_code,
                                        ctx.config.triage.schedules), "focal point")


@focal.command("add")
@click.argument("phone")
@click.argument("name")
@click.option("--village", "village_ref", help="Village number or name.")
@click.option("--language", type=click.Choice(["fr", "sw", "en"]), help="Acknowledgement language.")
@click.option("--callsign", help="HF radio callsign (9Q2KAM, or 9Q2KAM-1 for one SSID only).")
@click.option("--call-meaning", help="What a missed call from them means, in the code grammar "
              "(e.g. '1': armed men at their village) [default: the base's].")
@click.option("--keypad/--no-keypad", default=False,
              help="Answer their calls so they can key in a code (DTMF).")
@click.option("--gender", type=click.Choice([*reg.GENDERS, "unstated"]),
              help="For the network report only; never leaves the base.")
@click.option("--age-group", type=click.Choice([*reg.AGE_GROUPS, "unstated"]),
              help="For the network report only; never leaves the base.")
@click.option("--checkin", help="Their own check-in schedule ('by 18:00', 'at 07:00 within 30' "
              "or a name from [triage.schedules]).")
@pass_context
def focal_add(ctx: CliContext, phone: str, name: str, village_ref: str | None,
              language: str | None, callsign: str | None, call_meaning: str | None,
              keypad: bool, gender: str | None, age_group: str | None,
              checkin: str | None) -> None:
    """Register (or update) a focal point. PHONE may be '-' for a radio-only focal point
    registered with --callsign."""
    with ctx.store() as store:
        try:
            point = reg.make_focal_point(store, phone, name, village_ref, language,
                                         ctx.config.base.country_code, callsign, call_meaning,
                                         keypad, reg.Profile.read(gender, age_group, checkin,
                                                                  ctx.config.triage.schedules))
            reg.save_focal_point(store, point)
        except ValueError as exc:
            raise click.ClickException(str(exc)) from None
    identities = ", ".join(i for i in (point.phone, point.callsign) if i)
    click.echo(f"registered {point.name} ({identities})")


@focal.command("list")
@json_option
@pass_context
def focal_list(ctx: CliContext, as_json: bool) -> None:
    """List focal points (this shows phone numbers and callsigns: it is for the base only)."""
    with ctx.store() as store:
        names = {v.number: v.name for v in reg.villages(store)}
        rows = [{"phone": p.phone, "callsign": p.callsign, "name": p.name,
                 "village": names.get(p.village, p.village) if p.village is not None else None,
                 "language": p.language, "call_meaning": p.call_meaning, "keypad": p.keypad,
                 "gender": p.gender, "age_group": p.age_group, "checkin": p.checkin}
                for p in reg.focal_points(store)]
    emit(rows, ["phone", "callsign", "name", "village", "language", "call_meaning", "keypad",
                "gender", "age_group", "checkin"], as_json)


@focal.command("remove")
@click.argument("phone_or_callsign")
@pass_context
def focal_remove(ctx: CliContext, phone_or_callsign: str) -> None:
    """Remove a focal point by phone number or callsign (their past alerts stay)."""
    # a numeric selcall address can look like a phone number: try both readings
    readings = [normalise_phone(phone_or_callsign, ctx.config.base.country_code),
                normalise_callsign(phone_or_callsign)]
    with ctx.store() as store:
        removed = next((r for r in readings if r and reg.remove_focal_point(store, r)), None)
    if removed is None:
        raise click.ClickException(f"no focal point with number or callsign {phone_or_callsign}")
    click.echo(f"removed {removed}")


def _report(report: ImportReport, noun: str) -> None:
    for line, reason in report.errors:
        click.echo(f"line {line}: {reason}", err=True)
    click.echo(f"imported {report.imported} {noun}(s), {len(report.errors)} row(s) rejected")
    if report.errors and not report.imported:
        raise SystemExit(1)
