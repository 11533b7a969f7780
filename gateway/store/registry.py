"""Villages and focal points: who is registered, where they live, which language they read.

A focal point's phone, name and callsign are stored sealed (store/crypto.py) and found by the
look-up keys of the phone and callsign; village names are places, not people, and stay clear.
"""

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
from gateway.store.crypto import Sealer, sealer_of
from gateway.triage.schedules import parse_schedule

REGISTRY_VERSION = "registry_version"


@dataclass
class ImportReport:
    imported: int = 0
    errors: list[tuple[int, str]] = field(default_factory=list)

    def lines(self, noun: str) -> list[str]:
        """What the CLI prints and the console shows: each rejected row, then the count."""
        return [f"line {line}: {reason}" for line, reason in self.errors] + [
            f"imported {self.imported} {noun}(s), {len(self.errors)} row(s) rejected"]


GENDERS = ("f", "m", "other")
AGE_GROUPS = ("youth", "adult", "elder")
UNSTATED = ("", "-", "unstated")


def villages(store: Store) -> list[Village]:
    rows = store.db.execute("SELECT number, name, alt_names, lat, lon, zone, checkin FROM villages"
                            " ORDER BY number").fetchall()
    return [Village(n, name, tuple(json.loads(alt)), lat, lon, zone, checkin)
            for n, name, alt, lat, lon, zone, checkin in rows]


def zones(store: Store) -> list[str]:
    """The zones villages are in, by name."""
    return [row[0] for row in store.db.execute(
        "SELECT DISTINCT zone FROM villages WHERE zone IS NOT NULL ORDER BY zone")]


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
# (`9Q2KAM`) stands for every SSID of that station (`9Q2KAM-1`); both are sealed, so the
# look-up goes through their keyed hashes
_BY_SENDER = ("WHERE phone_key = ? OR callsign_key IN (?, ?) ORDER BY callsign_key IS ? DESC"
              " LIMIT 1")


def _sender_params(sealer: Sealer, sender: str) -> list[bytes | None]:
    exact, station = sealer.identity_key(sender), sealer.identity_key(sender.partition("-")[0])
    return [exact, exact, station, exact]


def focal_point(store: Store, sender: str) -> FocalPoint | None:
    """The focal point a sender is."""
    sealer = store.sealer
    row = store.db.execute(f"SELECT {_FOCAL_COLUMNS} FROM focal_points {_BY_SENDER}",
                           _sender_params(sealer, sender)).fetchone()
    return _focal(sealer, row) if row else None


def focal_identity(db: Database, sender: str) -> tuple[int, int | None] | None:
    """(id, village) of the focal point a sender is, or None."""
    row = db.execute(f"SELECT id, village FROM focal_points {_BY_SENDER}",
                     _sender_params(sealer_of(db), sender)).fetchone()
    return (row[0], row[1]) if row else None


def focal_points(store: Store) -> list[FocalPoint]:
    """Every focal point, by name (sorted once opened: the stored names are sealed)."""
    sealer = store.sealer
    rows = store.db.execute(f"SELECT {_FOCAL_COLUMNS} FROM focal_points").fetchall()
    return sorted((_focal(sealer, row) for row in rows), key=lambda point: point.name)


def focal_names(store: Store) -> dict[int, str]:
    """Each focal point's name by id, opened (for the base's own lists)."""
    sealer = store.sealer
    return {focal_id: sealer.unseal(name) or "" for focal_id, name in
            store.db.execute("SELECT id, name FROM focal_points")}


def _focal(sealer: Sealer, row: tuple) -> FocalPoint:
    (phone, name, village, language, callsign, call_meaning, keypad, gender, age_group,
     checkin) = row
    return FocalPoint(sealer.unseal(phone), sealer.unseal(name) or "", village, language,
                      sealer.unseal(callsign), call_meaning, bool(keypad), gender, age_group,
                      checkin)


def save_focal_point(store: Store, point: FocalPoint, focal_id: int | None = None) -> int:
    """Register a focal point, or update the one with the same phone or callsign (an identity
    left empty keeps its registered value); with `focal_id`, update that one (its phone or
    callsign may change). ValueError when the phone and the callsign belong to two different
    focal points. Returns the focal point's id."""
    sealer = store.sealer
    phone_key, callsign_key = sealer.identity_key(point.phone), sealer.identity_key(point.callsign)
    with store.transaction() as db:
        ids = {row[0] for row in db.execute(
            "SELECT id FROM focal_points WHERE phone_key = ? OR callsign_key = ?",
            [phone_key, callsign_key])}
        if focal_id is not None:
            if ids - {focal_id}:
                raise ValueError("this phone number or callsign belongs to another focal point")
            if not db.execute("SELECT 1 FROM focal_points WHERE id = ?", [focal_id]).fetchone():
                raise ValueError("this focal point was removed meanwhile")
            ids = {focal_id}
        if len(ids) > 1:
            raise ValueError(f"{point.phone} and {point.callsign} belong to two different "
                             "focal points (remove one first)")
        values: dict[str, object] = {
            "name": sealer.seal(point.name), "village": point.village,
            "language": point.language, "call_meaning": point.call_meaning,
            "keypad": int(point.keypad), "gender": point.gender, "age_group": point.age_group,
            "checkin": point.checkin}
        if point.phone:
            values |= {"phone": sealer.seal(point.phone), "phone_key": phone_key}
        if point.callsign:
            values |= {"callsign": sealer.seal(point.callsign), "callsign_key": callsign_key}
        if ids:
            saved = ids.pop()
            db.table("focal_points").update(saved, values)
        else:
            inserted = db.table("focal_points").insert(values | {"added_at": time.time()})
            saved = int(inserted.last_pk or 0)
        store.bump_meta_counter(REGISTRY_VERSION)
    return saved


def remove_focal_point(store: Store, identity: str) -> bool:
    """Remove the focal point with this phone number or callsign."""
    key = store.sealer.identity_key(identity)
    with store.transaction():
        removed = store.db.execute(
            "DELETE FROM focal_points WHERE phone_key = ? OR callsign_key = ?", [key, key]).rowcount
        store.bump_meta_counter(REGISTRY_VERSION)
    return removed > 0


def remove_by_typed_identity(store: Store, typed: str, country_code: str) -> str | None:
    """Remove the focal point a person typed (a phone number in any form, or a callsign; a
    numeric selcall address can look like a phone number, so both readings are tried).
    Returns the identity removed, or None when nobody has it."""
    readings = [normalise_phone(typed, country_code), normalise_callsign(typed)]
    return next((r for r in readings if r and remove_focal_point(store, r)), None)


def remove_focal_point_by_id(store: Store, focal_id: int) -> bool:
    with store.transaction():
        removed = store.db.execute("DELETE FROM focal_points WHERE id = ?", [focal_id]).rowcount
        store.bump_meta_counter(REGISTRY_VERSION)
    return removed > 0


def focal_point_by_id(store: Store, focal_id: int) -> FocalPoint | None:
    row = store.db.execute(f"SELECT {_FOCAL_COLUMNS} FROM focal_points WHERE id = ?",
                           [focal_id]).fetchone()
    return _focal(store.sealer, row) if row else None


def focal_page(store: Store, search: str = "", after: tuple[str, int] | None = None,
               limit: int = 50) -> list[tuple[int, FocalPoint]]:
    """A page of focal points by name, after the (name, id) that ended the previous page.
    `search` matches a name, a village's name or number, a phone number's digits or a
    callsign. Names, numbers and callsigns are sealed in the store: they are opened and
    matched here (a base has thousands of focal points, not millions)."""
    sealer = store.sealer
    villages = {number: name.casefold() for number, name in
                store.db.execute("SELECT number, name FROM villages")}
    rows = store.db.execute(f"SELECT id, {_FOCAL_COLUMNS} FROM focal_points").fetchall()
    term = search.strip().casefold()
    found = []
    for row in rows:
        point = _focal(sealer, row[1:])
        if term and not _matches(point, term, villages):
            continue
        key = (point.name, row[0])
        if after is None or key > after:
            found.append((key, point))
    found.sort(key=lambda item: item[0])
    return [(key[1], point) for key, point in found[:limit]]


def _matches(point: FocalPoint, term: str, villages: dict[int, str]) -> bool:
    """Whether a registry search for `term` (already casefolded) finds this focal point."""
    if term in point.name.casefold() or term in (point.callsign or "").casefold():
        return True
    if point.village is not None and (term in villages.get(point.village, "")
                                      or term == str(point.village)):
        return True
    return term.isdigit() and term in (point.phone or "")
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
            yield make_village(row["number"], row["name"], row.get("alt_names"), row.get("lat"),
                               row.get("lon"), row.get("zone"), row.get("checkin"), schedules)
        except ValueError as exc:
            report.errors.append((line, str(exc)))


def make_village(number: str, name: str, alt_names: str | None = None, lat: str | None = None,
                 lon: str | None = None, zone: str | None = None, checkin: str | None = None,
                 schedules: Collection[str] = ()) -> Village:
    """Validate one village's fields as typed (alt_names separated by ';'), raising ValueError
    with the reason."""
    try:
        parsed = int(number)
        latitude = float(lat) if lat else None
        longitude = float(lon) if lon else None
    except ValueError as exc:
        raise ValueError(str(exc)) from None
    alt = tuple(a.strip() for a in (alt_names or "").split(";") if a.strip())
    if not name.strip():
        raise ValueError("the name is empty")
    return Village(parsed, name.strip(), alt, latitude, longitude, (zone or "").strip() or None,
                   checkin_text(checkin, schedules))


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
