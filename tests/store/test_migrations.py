"""Migrations run in an order that cannot be got wrong, and every released schema upgrades to
the same schema a fresh store has, keeping every row."""

from __future__ import annotations

import shutil
import sqlite3

import pytest
from sqlite_utils import Database

from gateway.store import SEALED_PREFIX, Store
from gateway.store.schema import RELEASED, check_order, registered, run_script
from gateway.store.seal_rows import KEYED, SEALED
from tests.store.fixtures.make_schema_fixtures import fixture_path

# the row id (m004 renumbers focal points) and what the sealing derives from the clear values
UNCOMPARED = {"_rowid", "pseudonym", *(key for keys in KEYED.values() for key in keys)}


def schema(path) -> list[tuple[str, str, str]]:
    with sqlite3.connect(path) as conn:
        rows = conn.execute("SELECT type, name, sql FROM sqlite_master"
                            " WHERE name NOT LIKE 'sqlite_%' ORDER BY type, name").fetchall()
    return [(kind, name, " ".join((sql or "").split())) for kind, name, sql in rows]


def table_rows(path) -> dict[str, list[dict]]:
    with sqlite3.connect(path) as conn:
        conn.row_factory = sqlite3.Row
        tables = [r[0] for r in conn.execute(
            "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%'")]
        return {t: [dict(r) for r in conn.execute(f"SELECT rowid AS _rowid, * FROM [{t}]")]
                for t in tables}


def opened_rows(path) -> dict[str, list[dict]]:
    """The rows of a sealed store with their sealed values opened."""
    rows = table_rows(path)
    with Store.open(path) as store:
        sealer = store.sealer
        for table, columns in SEALED.items():
            for row in rows.get(table, []):
                row.update({column: sealer.unseal(row[column]) for column in columns})
        for row in rows["meta"]:
            if row["value"].startswith(SEALED_PREFIX):
                row["value"] = sealer.unseal(bytes.fromhex(row["value"][len(SEALED_PREFIX):]))
    return rows


def test_the_registered_order_is_the_released_one_then_numbered():
    names = registered()
    assert tuple(names[:len(RELEASED)]) == RELEASED
    check_order(names)


@pytest.mark.parametrize("names", [
    ["m001_initial", "m003_calls", "m004_focal_point_callsigns", "m006_alerts_seen", "m005_sbd",
     "m007_lean_indexes"],  # "fixing" the numbering of what bases have already applied
    [*RELEASED, "m009_skips_one"],
    [*RELEASED, "m008_a", "m008_b"],
    [*RELEASED, "m002_late"],
    [*RELEASED, "add_incidents"],
    list(RELEASED[:-1]),
])
def test_a_list_out_of_order_is_refused(names):
    with pytest.raises(ValueError):
        check_order(names)


def test_check_order_accepts_the_next_numbers():
    check_order([*RELEASED, "m008_incidents", "m009_broadcasts"])


@pytest.mark.parametrize("released", registered())
def test_every_released_schema_upgrades_to_a_fresh_store_keeping_every_row(tmp_path, released):
    fresh = tmp_path / "fresh.db"
    Store.open(fresh).close()
    old = tmp_path / "old.db"
    shutil.copyfile(fixture_path(released), old)
    before = table_rows(old)
    assert any(before.values()), "the fixture holds rows"
    Store.open(old).close()
    assert schema(old) == schema(fresh)
    after = opened_rows(old)
    for table, rows in before.items():
        if table == "_sqlite_migrations":
            continue
        kept = {row["_rowid"]: row for row in after[table]} if table != "focal_points" else \
            {row["name"]: row for row in after[table]}  # m004 renumbers focal points
        for row in rows:
            key = row["_rowid"] if table != "focal_points" else row["name"]
            assert key in kept, f"{table} lost a row upgrading from {released}"
            assert {k: v for k, v in kept[key].items() if k in row and k not in UNCOMPARED} == \
                {k: v for k, v in row.items() if k not in UNCOMPARED}, f"{table} row changed"
    with Store.open(old) as store:  # the look-up keys were made from the clear identities
        for table, keys in KEYED.items():
            for row in after[table]:
                assert all(row[key] == store.sealer.identity_key(row[source])
                           for key, source in keys.items())


def test_statements_split_where_sqlite_says_they_end():
    db = Database(memory=True)
    run_script(db, """
        CREATE TABLE notes (text TEXT);
        INSERT INTO notes VALUES ('a; b; c');
        CREATE TRIGGER twice AFTER INSERT ON notes WHEN new.text = 'x' BEGIN
            INSERT INTO notes VALUES ('y; z');
        END;
        INSERT INTO notes VALUES ('x')
    """)
    assert [r[0] for r in db.execute("SELECT text FROM notes ORDER BY rowid")] == \
        ["a; b; c", "x", "y; z"]
