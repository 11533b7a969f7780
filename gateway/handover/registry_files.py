"""The registry in the bundle, and back: villages, focal points (with their numbers and names:
the receiving organisation must reach the same people), groups and check-in schedules.

The CSV files keep the columns `cangw village import` and `cangw focal import` read, so another
gateway, or a spreadsheet, takes them as they are. Identities are read through the store's
functions, which open the sealed values; on import they are sealed again under the new
gateway's data key by the same functions.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
from collections.abc import Collection, Iterator, Mapping
from contextlib import contextmanager

from gateway.handover.envelope import BundleError
from gateway.handover.tables import csv_bytes, csv_records
from gateway.model import FocalPoint
from gateway.store import Store, groups, opt_outs
from gateway.store import registry as reg
from gateway.timeutil import iso_utc
from gateway.triage.config import TriageConfig

VILLAGES, FOCAL_POINTS = "registry/villages.csv", "registry/focal_points.csv"
GROUPS, MEMBERS = "registry/groups.csv", "registry/group_members.csv"
SCHEDULES = "registry/schedules.csv"
# with the secrets only: the new gateway then gives each focal point the pseudonym the history
# (and headquarters) already knows them by
PSEUDONYMS = "registry/pseudonym_secret"
VILLAGE_COLUMNS = ["number", "name", "alt_names", "lat", "lon", "zone", "checkin"]
FOCAL_COLUMNS = ["id", "phone", "name", "village", "language", "callsign", "call_meaning",
                 "keypad", "gender", "age_group", "checkin", "broadcasts_off_at"]
GROUP_COLUMNS = ["name", "description"]
MEMBER_COLUMNS = ["group", "focal_id", "member"]
SCHEDULE_COLUMNS = ["applies_to", "schedule", "kept_in"]


def registry_files(store: Store, triage: TriageConfig) -> dict[str, bytes]:
    """The registry's files, by their names in the bundle."""
    villages = reg.villages(store)
    points = {focal_id: reg.focal_point_by_id(store, focal_id) for (focal_id,) in
              store.db.execute("SELECT id FROM focal_points ORDER BY id")}
    focal = {focal_id: point for focal_id, point in points.items() if point is not None}
    every_group = groups.groups(store.db)
    members = [(group.name, focal_id, focal[focal_id].phone or focal[focal_id].callsign)
               for group in every_group for focal_id, _ in groups.members(store.db, group.id)]
    return {
        VILLAGES: csv_bytes(VILLAGE_COLUMNS, [
            [v.number, v.name, ";".join(v.alt_names), v.lat, v.lon, v.zone, v.checkin]
            for v in villages]),
        FOCAL_POINTS: csv_bytes(FOCAL_COLUMNS, [
            [focal_id, p.phone, p.name, p.village, p.language, p.callsign, p.call_meaning,
             int(p.keypad), p.gender, p.age_group, p.checkin, _off_since(store, focal_id)]
            for focal_id, p in focal.items()]),
        GROUPS: csv_bytes(GROUP_COLUMNS, [[g.name, g.description] for g in every_group]),
        MEMBERS: csv_bytes(MEMBER_COLUMNS, members),
        SCHEDULES: csv_bytes(SCHEDULE_COLUMNS, [
            *[(f"schedule:{name}", text, "gateway.toml [triage] schedules")
              for name, text in triage.schedules.items()],
            *[(key, text, "gateway.toml [triage] checkin") for key, text in triage.checkin.items()],
            *[(f"village:{v.number}", v.checkin, VILLAGES) for v in villages if v.checkin],
            *[(f"focal_point:{focal_id}", p.checkin, FOCAL_POINTS)
              for focal_id, p in focal.items() if p.checkin]]),
    }


def _off_since(store: Store, focal_id: int) -> str | None:
    off = opt_outs.off_since(store.db, focal_id)
    return iso_utc(off) if off is not None else None


def named_schedules(files: Mapping[str, bytes]) -> dict[str, str]:
    """The old base's named check-in schedules (`[triage] schedules`), written out."""
    return {row["applies_to"].removeprefix("schedule:"): row["schedule"]
            for _, row in csv_records(SCHEDULES, files[SCHEDULES], SCHEDULE_COLUMNS)
            if row["applies_to"].startswith("schedule:")}


def load_registry(store: Store, files: Mapping[str, bytes], country_code: str,
                  schedules: Collection[str]) -> dict[str, int]:
    """Save the bundle's registry into `store` (the caller's transaction makes it all or
    nothing); BundleError names the file and line of the first row that is not valid.
    `schedules`: the check-in schedules' names the new gateway knows; a village or focal point
    following one of the old base's named schedules the new gateway lacks gets it written out,
    so it is watched the same. Returns the counts."""
    old = named_schedules(files)
    numbers = set()
    for line, row in csv_records(VILLAGES, files[VILLAGES], ["number", "name"]):
        row["checkin"] = _checkin(row.get("checkin"), schedules, old)
        with _row_of(VILLAGES, line):
            village = reg.make_village(row["number"], row["name"], row.get("alt_names"),
                                       row.get("lat"), row.get("lon"), row.get("zone"),
                                       row.get("checkin"), schedules)
        reg.save_village(store, village)
        numbers.add(village.number)
    new_ids: dict[str, int] = {}
    stopped = 0
    for line, row in csv_records(FOCAL_POINTS, files[FOCAL_POINTS], ["id", "name"]):
        row["checkin"] = _checkin(row.get("checkin"), schedules, old)
        with _row_of(FOCAL_POINTS, line):
            new_ids[row["id"]] = reg.save_focal_point(
                store, _focal_point(store, row, numbers, country_code, schedules))
            if row.get("broadcasts_off_at"):
                stopped_at = dt.datetime.fromisoformat(row["broadcasts_off_at"]).timestamp()
                stopped += opt_outs.record(store.db, new_ids[row["id"]], opt_outs.STOP,
                                           stopped_at, None)
    for line, row in csv_records(GROUPS, files[GROUPS], ["name"]):
        with _row_of(GROUPS, line):
            groups.create(store.db, row["name"], row.get("description", ""))
    members = 0
    for line, row in csv_records(MEMBERS, files[MEMBERS], ["group", "focal_id"]):
        with _row_of(MEMBERS, line):
            if row["focal_id"] not in new_ids:
                raise ValueError(f"no focal point {row['focal_id']} in {FOCAL_POINTS}")
            members += groups.add_member(store.db, groups.create(store.db, row["group"]),
                                         new_ids[row["focal_id"]])
    return {"villages": len(numbers), "focal_points": len(new_ids),
            "groups": len(groups.groups(store.db)), "group_members": members,
            "broadcasts_stopped": stopped}


def _checkin(value: str | None, known: Collection[str], old: Mapping[str, str]) -> str:
    value = value or ""
    return value if value in known else old.get(value, value)


def _focal_point(store: Store, row: dict[str, str], villages: set[int], country_code: str,
                 schedules: Collection[str]) -> FocalPoint:
    point = reg.make_focal_point(
        store, row.get("phone"), row["name"], None, row.get("language"), country_code,
        row.get("callsign"), row.get("call_meaning"), row.get("keypad") == "1",
        reg.Profile.read(row.get("gender"), row.get("age_group"), row.get("checkin"), schedules))
    village = row.get("village")
    if not village:
        return point
    if not village.isdigit() or int(village) not in villages:
        raise ValueError(f"village {village} is not in {VILLAGES}")
    return dataclasses.replace(point, village=int(village))


@contextmanager
def _row_of(name: str, line: int) -> Iterator[None]:
    """A row's ValueError as a BundleError naming the file and the line."""
    try:
        yield
    except BundleError:
        raise
    except ValueError as exc:
        raise BundleError(f"{name} line {line}: {exc}") from None
