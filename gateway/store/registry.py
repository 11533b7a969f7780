"""Villages and focal points: who is registered, where they live, which language they read."""

from __future__ import annotations

import csv
import json
import time
from collections.abc import Collection, Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

from sqlite_utils import Database

from gateway.alerts.codes import LANGUAGES
from gateway.alerts.phone import normalise_phone
from gateway.alerts.text import fold
from gateway.hf.callsign import normalise_callsign
from gateway.model import FocalPoint, Village
from gateway.store import Store
from gateway.triage.schedules import parse_schedule

REGISTRY_VERSION = "registry_version"


@dataclass
class ImportReport:
    imported: int = 0
    errors: list[tuple[int, str]] = field(default_factory=list)


GENDERS = ("f", "m", "other")
AGE_GROUPS = ("youth", "adult", "elder")
UNSTATED = ("", "-", "unstated")


def villages(store: Store) -> list[Village]:
    rows = store.db.execute("SELECT number, name, alt_names, lat, lon, zone, checkin FROM villages"
                            " ORDER BY number").fetchall()
    return [Village(n, name, tuple(json.loads(alt)), lat, lon, zone, checkin)
            for n, name, alt, lat, lon, zone, checkin in rows]


def village(store: Store, number: int | None) -> Village | None:
    if number is None:
        return None
    return next((v for v in villages(store) if v.number == number), None)


def find_village(store: Store, reference: str) -> Village | None:
    """A village by its number or by one of its names (case and accents ignored)."""
    reference = reference.strip()
    if reference.isdigit():
        return village(store, int(reference))
    wanted = fold(reference)
    return next((v for v in villages(store)
                 if wanted in {fold(n) for n in (v.name, *v.alt_names)}), None)


def save_village(store: Store, village: Village) -> None:
    with store.transaction():
        store.db.table("villages").upsert(
            {"number": village.number, "name": village.name,
             "alt_names": json.dumps(list(village.alt_names), ensure_ascii=False),
             "lat": village.lat, "lon": village.lon, "zone": village.zone,
             "checkin": village.checkin},
            pk="number",
        )
        store.bump_meta_counter(REGISTRY_VERSION)


_FOCAL_COLUMNS = ("phone, name, village, language, callsign, call_meaning, keypad, gender,"
                  " age_group, checkin")


# a sender is a focal point by phone number or by callsign; a callsign registered without SSID
# (`9Q2KAM`) stands for every SSID of that station (`9Q2KAM-1`)
_BY_SENDER = "WHERE phone = ? OR callsign IN (?, ?) ORDER BY callsign IS ? DESC LIMIT 1"


def _sender_params(sender: str) -> list[str]:
    return [sender, sender, sender.partition("-")[0], sender]


def focal_point(store: Store, sender: str) -> FocalPoint | None:
    """The focal point a sender is."""
    row = store.db.execute(f"SELECT {_FOCAL_COLUMNS} FROM focal_points {_BY_SENDER}",
                           _sender_params(sender)).fetchone()
    return _focal(row) if row else None


def focal_identity(db: Database, sender: str) -> tuple[int, int | None] | None:
    """(id, village) of the focal point a sender is, or None."""
    row = db.execute(f"SELECT id, village FROM focal_points {_BY_SENDER}",
                     _sender_params(sender)).fetchone()
    return (row[0], row[1]) if row else None


def focal_points(store: Store) -> list[FocalPoint]:
    rows = store.db.execute(
        f"SELECT {_FOCAL_COLUMNS} FROM focal_points ORDER BY name").fetchall()
    return [_focal(row) for row in rows]


def _focal(row: tuple) -> FocalPoint:
    (phone, name, village, language, callsign, call_meaning, keypad, gender, age_group,
     checkin) = row
    return FocalPoint(phone, name, village, language, callsign, call_meaning, bool(keypad),
                      gender, age_group, checkin)


def save_focal_point(store: Store, point: FocalPoint) -> None:
    """Register a focal point, or update the one with the same phone or callsign (an identity
    left empty keeps its registered value). ValueError when the phone and the callsign belong
    to two different focal points."""
    with store.transaction() as db:
        ids = {row[0] for row in db.execute(
            "SELECT id FROM focal_points WHERE phone = ? OR callsign = ?",
            [point.phone, point.callsign])}
        if len(ids) > 1:
            raise ValueError(f"{point.phone} and {point.callsign} belong to two different "
                             "focal points (remove one first)")
        values = {"name": point.name, "village": point.village, "language": point.language,
                  "call_meaning": point.call_meaning, "keypad": int(point.keypad),
                  "gender": point.gender, "age_group": point.age_group, "checkin": point.checkin}
        values |= {key: value for key, value in (("phone", point.phone),
                                                  ("callsign", point.callsign)) if value}
        if ids:
            db.table("focal_points").update(ids.pop(), values)
        else:
            db.table("focal_points").insert(values | {"added_at": time.time()})
        store.bump_meta_counter(REGISTRY_VERSION)


def remove_focal_point(store: Store, identity: str) -> bool:
    """Remove the focal point with this phone number or callsign."""
    with store.transaction():
        removed = store.db.execute("DELETE FROM focal_points WHERE phone = ? OR callsign = ?",
                                   [identity, identity]).rowcount
        store.bump_meta_counter(REGISTRY_VERSION)
    return removed > 0


@dataclass(frozen=True)
class Profile:
    """What the network report counts and the silence watch expects of a focal point."""

    gender: str | None = None
    age_group: str | None = None
    checkin: str | None = None

    @classmethod
    def read(cls, gender: str | None, age_group: str | None, checkin: str | None,
             schedules: Collection[str] = ()) -> Profile:
        """Validated (ValueError says what is allowed); empty, '-' or 'unstated': not stated."""
        gender, age = (_stated(gender), _stated(age_group))
        if gender is not None and gender not in GENDERS:
            raise ValueError(f"gender must be one of {', '.join(GENDERS)} or unstated, "
                             f"not {gender!r}")
        if age is not None and age not in AGE_GROUPS:
            raise ValueError(f"age group must be one of {', '.join(AGE_GROUPS)} or unstated, "
                             f"not {age!r}")
        return cls(gender, age, checkin_text(checkin, schedules))


def _stated(value: str | None) -> str | None:
    value = (value or "").strip().lower()
    return None if value in UNSTATED else value


def checkin_text(value: str | None, schedules: Collection[str] = ()) -> str | None:
    """A check-in schedule as stored: written out ("by 18:00") and checked, or the name of one
    of `schedules` (`[triage.schedules]`); empty or '-': none."""
    value = (value or "").strip()
    if value in ("", "-"):
        return None
    if value not in schedules:
        parse_schedule(value)
    return value


def make_focal_point(store: Store, phone: str | None, name: str, village_ref: str | None,
                     language: str | None, country_code: str,
                     callsign: str | None = None, call_meaning: str | None = None,
                     keypad: bool = False, profile: Profile = Profile()) -> FocalPoint:
    """Validate one focal point's fields, raising ValueError with a reason a technician can act on.
    A focal point needs a phone number, a callsign, or both (`-` or empty: none)."""
    phone = None if (phone or "").strip() in ("", "-") else phone
    callsign = None if (callsign or "").strip() in ("", "-") else callsign
    if phone is None and callsign is None:
        raise ValueError("a phone number or a callsign is needed")
    number = normalise_phone(phone, country_code) if phone is not None else None
    if phone is not None and number is None:
        raise ValueError(f"not a phone number: {phone!r}")
    station = normalise_callsign(callsign) if callsign is not None else None
    if callsign is not None and station is None:
        raise ValueError(f"not a callsign: {callsign!r} (up to 6 letters or digits, "
                         "then -0 to -15, such as 9Q2KAM-1)")
    if not name.strip():
        raise ValueError("the name is empty")
    village_number = None
    if village_ref and village_ref.strip():
        found = find_village(store, village_ref)
        if found is None:
            raise ValueError(f"unknown village {village_ref!r} (import villages first)")
        village_number = found.number
    language = (language or "").strip().lower() or None
    if language is not None and language not in LANGUAGES:
        raise ValueError(f"language must be one of {', '.join(LANGUAGES)}, not {language!r}")
    call_meaning = (call_meaning or "").strip() or None
    return FocalPoint(number, name.strip(), village_number, language, station, call_meaning,
                      keypad, profile.gender, profile.age_group, profile.checkin)


def import_villages(store: Store, path: Path, schedules: Collection[str] = ()) -> ImportReport:
    """Import `number,name[,alt_names][,lat][,lon][,zone][,checkin]` rows; alt_names
    separated by ';'."""
    report = ImportReport()
    for village in read_villages(path, report, schedules):
        save_village(store, village)
        report.imported += 1
    return report


def read_villages(path: Path, report: ImportReport,
                  schedules: Collection[str] = ()) -> Iterator[Village]:
    """The villages of a CSV file (as `import_villages` takes it); bad rows go to `report`."""
    for line, row in _csv_rows(path, required=("number", "name"), report=report):
        try:
            number = int(row["number"])
            lat = float(row["lat"]) if row.get("lat") else None
            lon = float(row["lon"]) if row.get("lon") else None
            alt = tuple(a.strip() for a in (row.get("alt_names") or "").split(";") if a.strip())
            if not row["name"].strip():
                raise ValueError("the name is empty")
            checkin = checkin_text(row.get("checkin"), schedules)
        except ValueError as exc:
            report.errors.append((line, str(exc)))
            continue
        yield Village(number, row["name"].strip(), alt, lat, lon, row.get("zone") or None, checkin)


def import_focal_points(store: Store, path: Path, country_code: str,
                        schedules: Collection[str] = ()) -> ImportReport:
    """Import `phone,name[,village][,language][,callsign][,call_meaning][,keypad][,gender]
    [,age_group][,checkin]` rows (phone or callsign may be empty, not both); bad rows are
    reported, good ones kept."""
    report = ImportReport()
    for line, row in _csv_rows(path, required=("name",), report=report,
                               one_of=("phone", "callsign")):
        try:
            point = make_focal_point(store, row.get("phone"), row["name"], row.get("village"),
                                     row.get("language"), country_code, row.get("callsign"),
                                     row.get("call_meaning"), _yes(row.get("keypad")),
                                     Profile.read(row.get("gender"), row.get("age_group"),
                                                  row.get("checkin"), schedules))
            save_focal_point(store, point)
        except ValueError as exc:
            report.errors.append((line, str(exc)))
            continue
        report.imported += 1
    return report


def _yes(value: str | None) -> bool:
    """A CSV yes/no column: 1, yes, oui, ndiyo, true, x count as yes."""
    return (value or "").strip().lower() in {"1", "yes", "y", "oui", "ndiyo", "true", "x"}


def _csv_rows(path: Path, required: Iterable[str], report: ImportReport,
              one_of: tuple[str, ...] = ()) -> Iterable[tuple[int, dict[str, str]]]:
    with open(path, newline="", encoding="utf-8-sig") as handle:
        reader = csv.DictReader(handle)
        header = [h.strip().lower() for h in reader.fieldnames or []]
        missing = [" or ".join(one_of)] if one_of and not set(one_of) & set(header) else []
        missing += [column for column in required if column not in header]
        if missing:
            report.errors.append((1, f"the header lacks column(s): {', '.join(missing)}"))
            return
        reader.fieldnames = header
        for row in reader:
            yield reader.line_num, {k: (v or "").strip() for k, v in row.items() if k}
