"""Groups: named sets of focal points (`chiefs`, `women-leaders`) that broadcasts address.

A member is a focal point by its id, so a group follows a focal point whose phone changes; a
focal point removed from the registry leaves its groups with it (ON DELETE CASCADE)."""

from __future__ import annotations

import csv
import re
import time
from dataclasses import dataclass
from pathlib import Path

from sqlite_utils import Database

from gateway.alerts.phone import normalise_phone
from gateway.hf.callsign import normalise_callsign
from gateway.store import inserted_id
from gateway.store.crypto import sealer_of
from gateway.store.registry import ImportReport, focal_identity

NAME = re.compile(r"[a-z0-9][a-z0-9_-]{0,31}")


@dataclass(frozen=True)
class Group:
    id: int
    name: str
    description: str
    members: int


def group_name(text: str) -> str:
    """A group's name as stored (lower case); ValueError says what a name may be."""
    name = text.strip().lower()
    if not NAME.fullmatch(name):
        raise ValueError(f"a group name is 1 to 32 letters, digits, '-' or '_', not {text!r}")
    return name


def groups(db: Database) -> list[Group]:
    rows = db.execute("SELECT g.id, g.name, g.description, COUNT(m.focal_id) FROM groups g"
                      " LEFT JOIN group_members m ON m.group_id = g.id GROUP BY g.id"
                      " ORDER BY g.name").fetchall()
    return [Group(*row) for row in rows]


def find(db: Database, name: str) -> Group | None:
    return next((g for g in groups(db) if g.name == name.strip().lower()), None)


def create(db: Database, name: str, description: str = "", now: float | None = None) -> int:
    """The group's id, made if it does not exist yet (its description then updated if given)."""
    name = group_name(name)
    row = db.execute("SELECT id FROM groups WHERE name = ?", [name]).fetchone()
    if row is not None:
        if description:
            db.execute("UPDATE groups SET description = ? WHERE id = ?", [description, row[0]])
        return int(row[0])
    return inserted_id(db.execute(
        "INSERT INTO groups (name, description, created_at) VALUES (?, ?, ?)",
        [name, description, time.time() if now is None else now]))


def remove(db: Database, name: str) -> bool:
    group = find(db, name)
    if group is None:
        return False
    db.execute("DELETE FROM group_members WHERE group_id = ?", [group.id])
    db.execute("DELETE FROM groups WHERE id = ?", [group.id])
    return True


def add_member(db: Database, group_id: int, focal_id: int) -> bool:
    """True when the focal point was not a member yet."""
    cursor = db.execute("INSERT OR IGNORE INTO group_members (group_id, focal_id) VALUES (?, ?)",
                        [group_id, focal_id])
    return cursor.rowcount > 0


def remove_member(db: Database, group_id: int, focal_id: int) -> bool:
    return db.execute("DELETE FROM group_members WHERE group_id = ? AND focal_id = ?",
                      [group_id, focal_id]).rowcount > 0


def members(db: Database, group_id: int) -> list[tuple[int, str]]:
    """(focal id, name) of a group's members, by name."""
    sealer = sealer_of(db)  # names are sealed: opened, then sorted
    return sorted(((row[0], sealer.unseal(row[1]) or "") for row in db.execute(
        "SELECT f.id, f.name FROM group_members m JOIN focal_points f ON f.id = m.focal_id"
        " WHERE m.group_id = ?", [group_id])), key=lambda member: member[1])


def memberships(db: Database) -> dict[int, set[str]]:
    """Every focal point's groups, by focal id."""
    found: dict[int, set[str]] = {}
    for focal_id, name in db.execute("SELECT m.focal_id, g.name FROM group_members m JOIN groups g"
                                     " ON g.id = m.group_id"):
        found.setdefault(focal_id, set()).add(name)
    return found


def focal_by_identity(db: Database, identity: str, country_code: str) -> int | None:
    """A focal point's id from its phone number (any usual spelling) or callsign."""
    key = normalise_phone(identity, country_code) or normalise_callsign(identity) or identity
    found = focal_identity(db, key.strip())
    return found[0] if found else None


def import_members(db: Database, path: Path, country_code: str) -> ImportReport:
    """Import `group,member` rows (member: a focal point's phone number or callsign; a `phone`
    or `callsign` column may stand for `member`). Groups are made as needed; bad rows are
    reported by line, good ones kept."""
    report = ImportReport()
    with open(path, newline="", encoding="utf-8-sig") as handle:
        reader = csv.DictReader(handle)
        header = [h.strip().lower() for h in reader.fieldnames or []]
        column = next((c for c in ("member", "phone", "callsign") if c in header), None)
        if "group" not in header or column is None:
            report.errors.append((1, "the header needs a group column and a member (or phone, "
                                     "or callsign) column"))
            return report
        reader.fieldnames = header
        for row in reader:
            values = {k: (v or "").strip() for k, v in row.items() if k}
            try:
                group_id = create(db, values.get("group", ""))
                focal_id = focal_by_identity(db, values.get(column, ""), country_code)
                if focal_id is None:
                    raise ValueError(f"no focal point {values.get(column)!r} in the registry")
            except ValueError as exc:
                report.errors.append((reader.line_num, str(exc)))
                continue
            add_member(db, group_id, focal_id)
            report.imported += 1
    return report
