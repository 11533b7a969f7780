"""Villages and focal points: who is registered, where they live, which language they read."""

from __future__ import annotations

import csv
import json
import time
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path

from gateway.config import LANGUAGES
from gateway.model import FocalPoint, Village
from gateway.phone import normalise_phone
from gateway.store import Store
from gateway.text import fold

REGISTRY_VERSION = "registry_version"


@dataclass
class ImportReport:
    imported: int = 0
    errors: list[tuple[int, str]] = field(default_factory=list)


def villages(store: Store) -> list[Village]:
    rows = store.db.execute(
        "SELECT number, name, alt_names, lat, lon FROM villages ORDER BY number").fetchall()
    return [Village(n, name, tuple(json.loads(alt)), lat, lon) for n, name, alt, lat, lon in rows]


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
        store.db["villages"].upsert(
            {"number": village.number, "name": village.name,
             "alt_names": json.dumps(list(village.alt_names), ensure_ascii=False),
             "lat": village.lat, "lon": village.lon},
            pk="number",
        )
        store.bump_meta_counter(REGISTRY_VERSION)


def focal_point(store: Store, phone: str) -> FocalPoint | None:
    row = store.db.execute(
        "SELECT phone, name, village, language FROM focal_points WHERE phone = ?", [phone]
    ).fetchone()
    return FocalPoint(*row) if row else None


def focal_points(store: Store) -> list[FocalPoint]:
    rows = store.db.execute(
        "SELECT phone, name, village, language FROM focal_points ORDER BY name").fetchall()
    return [FocalPoint(*row) for row in rows]


def save_focal_point(store: Store, point: FocalPoint) -> None:
    with store.transaction():
        store.db["focal_points"].upsert(
            {"phone": point.phone, "name": point.name, "village": point.village,
             "language": point.language, "added_at": time.time()},
            pk="phone",
        )
        store.bump_meta_counter(REGISTRY_VERSION)


def remove_focal_point(store: Store, phone: str) -> bool:
    with store.transaction():
        removed = store.db.execute("DELETE FROM focal_points WHERE phone = ?", [phone]).rowcount
        store.bump_meta_counter(REGISTRY_VERSION)
    return removed > 0


def make_focal_point(store: Store, phone: str, name: str, village_ref: str | None,
                     language: str | None, country_code: str) -> FocalPoint:
    """Validate one focal point's fields, raising ValueError with a reason a technician can act on."""
    number = normalise_phone(phone, country_code)
    if number is None:
        raise ValueError(f"not a phone number: {phone!r}")
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
    return FocalPoint(number, name.strip(), village_number, language)


def import_villages(store: Store, path: Path) -> ImportReport:
    """Import `number,name[,alt_names][,lat][,lon]` rows; alt_names separated by ';'."""
    report = ImportReport()
    for line, row in _csv_rows(path, required=("number", "name"), report=report):
        try:
            number = int(row["number"])
            lat = float(row["lat"]) if row.get("lat") else None
            lon = float(row["lon"]) if row.get("lon") else None
            alt = tuple(a.strip() for a in (row.get("alt_names") or "").split(";") if a.strip())
            if not row["name"].strip():
                raise ValueError("the name is empty")
        except ValueError as exc:
            report.errors.append((line, str(exc)))
            continue
        save_village(store, Village(number, row["name"].strip(), alt, lat, lon))
        report.imported += 1
    return report


def import_focal_points(store: Store, path: Path, country_code: str) -> ImportReport:
    """Import `phone,name[,village][,language]` rows; bad rows are reported, good ones kept."""
    report = ImportReport()
    for line, row in _csv_rows(path, required=("phone", "name"), report=report):
        try:
            point = make_focal_point(store, row["phone"], row["name"], row.get("village"),
                                     row.get("language"), country_code)
        except ValueError as exc:
            report.errors.append((line, str(exc)))
            continue
        save_focal_point(store, point)
        report.imported += 1
    return report


def _csv_rows(path: Path, required: Iterable[str], report: ImportReport
              ) -> Iterable[tuple[int, dict[str, str]]]:
    with open(path, newline="", encoding="utf-8-sig") as handle:
        reader = csv.DictReader(handle)
        header = [h.strip().lower() for h in reader.fieldnames or []]
        missing = [column for column in required if column not in header]
        if missing:
            report.errors.append((1, f"the header lacks column(s): {', '.join(missing)}"))
            return
        reader.fieldnames = header
        for row in reader:
            yield reader.line_num, {k: (v or "").strip() for k, v in row.items() if k}
