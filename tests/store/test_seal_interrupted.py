"""A store that held identities in clear is sealed in place, and a SIGKILL in the middle of it
leaves a store that opens, reads, and finishes the job."""

from __future__ import annotations

import os
import random
import signal
import subprocess
import sys

from gateway.sim.harness import query, wait_for
from gateway.store import Store
from gateway.store import alerts as alert_store
from gateway.store import registry as reg
from gateway.store.schema import migrations
from tests.identity_forms import all_forms, scan_folder

ROWS = 3_000
# numbers as people have them: few zeros, whose semi-octets the file's own structures (runs
# of zero bytes) would match by chance
PHONES = [f"+24399{random.Random(n).randrange(10**6, 10**7)}{n % 10}" for n in range(400)]
REMOVED, REMOVED_NAME = "+243995827316", "Amani Kasereka"  # removed before the upgrade


def old_store(path):
    """A store as the version before sealing left it: ROWS messages, alerts and
    acknowledgements, and focal points, every identity in clear, and the remains of a focal
    point removed (that version did not zero what it freed)."""
    with Store.open(path, migrate=False) as store:
        migrations.apply(store.db, stop_before="m009_sealed_identities")
        db = store.db.conn
        db.execute("PRAGMA secure_delete=OFF")
        db.execute("INSERT INTO meta VALUES ('pseudonym_secret', ?)", ["ab" * 32])
        db.executemany(
            "INSERT INTO focal_points (phone, name, added_at) VALUES (?, ?, 1.0)",
            [(phone, f"Kahindo Masika {n}") for n, phone in enumerate(PHONES)])
        db.executemany(
            "INSERT INTO messages (id, channel, sender, text, received_at, raw)"
            " VALUES (?, 'sms', ?, ?, ?, ?)",
            [(n, PHONES[n % 400], f"2 Kamango Baraka Mumbere {n}", 1.7e9 + n, f"0791{n:08d}")
             for n in range(1, ROWS + 1)])
        db.executemany(
            "INSERT INTO alerts (id, uid, seq, ref, message_id, channel, severity, urgency,"
            " text, sender, registered, language, received_at, created_at)"
            " VALUES (?, ?, ?, ?, ?, 'sms', 'Extreme', 'Immediate', ?, ?, 1, 'fr', ?, ?)",
            [(n, f"KWJ-x-{n}", n, f"KWJ-{n:04d}", n, f"Baraka Mumbere {n}", PHONES[n % 400],
              1.7e9 + n, 1.7e9 + n) for n in range(1, ROWS + 1)])
        db.executemany(
            "INSERT INTO outbox (destination, alert_id, recipient, body, priority, state,"
            " next_attempt_at, created_at) VALUES ('sms', ?, ?, ?, 0, 'done', 1.7e9, 1.7e9)",
            [(n, PHONES[n % 400], f"KWJ-{n:04d} Alerte recue") for n in range(1, ROWS + 1)])
        db.executemany("INSERT INTO focal_points (phone, name, added_at) VALUES (?, ?, 1.0)",
                       [(f"{REMOVED}{n}", f"{REMOVED_NAME} {n}") for n in range(200)])
        db.execute("DELETE FROM focal_points WHERE phone LIKE ?", [REMOVED + "%"])
        db.commit()


def sealed_messages(path) -> int:
    rows = query(path, "SELECT COUNT(*) FROM messages WHERE typeof(sender) = 'blob'")
    return rows[0][0] if rows else 0


def test_a_sigkill_while_sealing_leaves_a_store_that_opens_and_finishes(tmp_path):
    path = tmp_path / "gateway.db"
    old_store(path)
    child = subprocess.Popen([sys.executable, "-c",
                              "import sys; from gateway.store import Store; "
                              "Store.open(sys.argv[1]).close()", str(path)])
    try:
        wait_for(lambda: 0 < sealed_messages(path) < ROWS, timeout=60, interval=0.005,
                 what="the sealing under way")
        os.kill(child.pid, signal.SIGKILL)
    finally:
        child.wait(30)
    assert child.returncode == -signal.SIGKILL
    halfway = sealed_messages(path)
    assert 0 < halfway < ROWS, "killed in the middle of the job"
    assert query(path, "PRAGMA quick_check") == [("ok",)]

    with Store.open(path) as store:  # opens, and finishes the job before anything reads
        assert store.meta("sealed_rows") == "done"
        assert sealed_messages(path) == ROWS
        for table, column in (("messages", "text"), ("alerts", "sender"), ("outbox", "body"),
                              ("focal_points", "name")):
            assert store.db.execute(f"SELECT COUNT(*) FROM {table} WHERE typeof({column})"
                                    " = 'text'").fetchone()[0] == 0, table
        assert reg.focal_point(store, PHONES[7]).name == "Kahindo Masika 7"  # by its key
        alert = alert_store.get(store.db, 2_345)
        assert (alert.sender, alert.text) == (PHONES[2_345 % 400], "Baraka Mumbere 2345")
        assert alert.pseudonym == store.pseudonymiser()(alert.sender)
        assert store.pseudonymiser()(PHONES[0]) == _pseudonym_before(PHONES[0])
    forms = all_forms([*PHONES[:20], REMOVED], ["Kahindo Masika", "Baraka Mumbere", REMOVED_NAME])
    assert scan_folder(tmp_path, forms) == {}  # no old page or WAL frame kept a clear copy


def _pseudonym_before(phone: str) -> str | None:
    """What headquarters knew this sender as before the upgrade (the same secret, now sealed)."""
    from gateway.alerts.pseudonym import Pseudonymiser

    return Pseudonymiser("ab" * 32)(phone)
