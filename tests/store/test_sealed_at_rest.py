"""Identities sealed at rest: the store's files, its backups and the daemon's log hold no phone
number, name or callsign in any form, while the store's functions still give them in clear."""

from __future__ import annotations

import os
import stat
import time

import pytest
from click.testing import CliRunner

from gateway.cli import cli
from gateway.errors import StoreError
from gateway.sim.deliver_pdu import build_deliver_pdus
from gateway.sim.harness import DaemonProcess, query, wait_for, write_config
from gateway.store import Store, outbox
from gateway.store import alerts as alert_store
from gateway.store import registry as reg
from gateway.store.crypto import KEY_BYTES, default_key_file
from tests.identity_forms import all_forms, check_forms, scan_folder

# numbers as people have them: few zeros, whose semi-octets the file's own structures (runs
# of zero bytes) would match by chance
REGISTERED = {"+243997412583": "Kahindo Masika", "+243998236145": "Éliane Kasereka",
              "+243991587264": "Baraka Mumbere"}
CALLSIGN, RADIO_NAME = "9Q2KAM-1", "Radio Kamango"
UNKNOWN = "+243994718362"
MENTIONED, MENTIONED_NAME = "+243996352871", "Mbusa Kakule"  # named inside a message's text
SECRETS = [*REGISTERED.values(), RADIO_NAME, MENTIONED_NAME, CALLSIGN]


def cangw(config, *args):
    result = CliRunner().invoke(cli, ["-c", str(config), *args])
    assert result.exit_code == 0, result.output
    return result.output


def test_no_number_name_or_callsign_in_any_byte_of_the_store_folder(tmp_path, modem, broker):
    check_forms("+243990000101", "Kahindo Masika")  # the forms are the ones an SMS carries
    config = write_config(tmp_path, modem.path, broker.port)
    db = tmp_path / "gateway.db"
    for phone, name in REGISTERED.items():
        cangw(config, "focal", "add", phone, name)
    cangw(config, "focal", "add", "-", RADIO_NAME, "--callsign", CALLSIGN)
    with DaemonProcess(config) as daemon:
        wait_for(lambda: query(db, "SELECT 1 FROM link_status WHERE link = 'gsm'"
                                   " AND state = 'up'"), what="the GSM link up")
        phones = list(REGISTERED)
        modem.inject_sms(phones[0], "alerte 2 kamango 15 hommes armés")
        modem.inject_sms(phones[1], f"{MENTIONED_NAME} {MENTIONED[4:]} a vu des hommes armés")
        modem.inject_sms(phones[2], f"Ujumbe wa {MENTIONED_NAME} 🙏", encoding="ucs2")
        modem.inject_sms(UNKNOWN, f"Kahindo Masika ameonekana, piga {MENTIONED}")
        pdu = build_deliver_pdus(phones[0], "Baraka Mumbere 2 Kamango")[0].hex
        modem.inject_pdu(pdu[:16] + "44" + pdu[18:])  # undecodable: kept raw, sender inside
        first_of_two = build_deliver_pdus(phones[2], "2 Kamango " + "Baraka Mumbere " * 12,
                                          reference=9)[0]
        modem.inject_pdu(first_of_two.hex)  # a part waiting for its sibling
        call = modem.call(UNKNOWN)  # a missed call: rejected and recorded
        wait_for(lambda: not call.active, timeout=20, what="the missed call rejected")
        wait_for(lambda: len(query(db, "SELECT 1 FROM alerts")) >= 6, timeout=30,
                 what="six alerts")
        wait_for(lambda: len(modem.sent) >= 4, timeout=30, what="the acknowledgements sent")
        wait_for(lambda: not query(db, "SELECT 1 FROM outbox WHERE state = 'pending'"
                                       " AND destination = 'mqtt'"), what="MQTT delivered")
        cangw(config, "db", "backup", str(_folder(tmp_path / "backups")))
        # broadcasts to focal points will be queued as outbox rows with a recipient: add some
        # here once they exist, so the scan covers them too
        forms = all_forms([*REGISTERED, UNKNOWN, MENTIONED], SECRETS)
        assert scan_folder(tmp_path, forms) == {}  # the daemon running: WAL and -shm in use
        assert daemon.stop() == 0
    assert scan_folder(tmp_path, forms) == {}
    _everything_still_readable_through_the_store(db)


def _folder(path):
    path.mkdir()
    return path


def _everything_still_readable_through_the_store(db):
    """The scan found nothing because it is sealed, not because nothing was stored."""
    with Store.open(db) as store:
        points = reg.focal_points(store)
        assert {p.name for p in points} == {*REGISTERED.values(), RADIO_NAME}
        assert reg.focal_point(store, "+243998236145").name == "Éliane Kasereka"
        assert reg.focal_point(store, "9Q2KAM-1").name == RADIO_NAME
        alerts = alert_store.recent(store.db, limit=None)
        assert {a.sender for a in alerts} == {*REGISTERED, UNKNOWN, None}  # None: undecodable
        assert any(MENTIONED_NAME in a.text for a in alerts)
        assert all(a.pseudonym == store.pseudonymiser()(a.sender) for a in alerts)
        assert store.db.execute("SELECT COUNT(*) FROM sms_parts WHERE message_id IS NULL"
                                ).fetchone()[0] == 1
        assert store.db.execute("SELECT COUNT(*) FROM outbox WHERE destination = 'sms'"
                                " AND recipient IS NOT NULL").fetchone()[0] >= 4


def test_the_key_file_is_owner_only_created_once_and_needed(tmp_path):
    db = tmp_path / "gateway.db"
    with Store.open(db) as store:
        reg.save_focal_point(store, reg.make_focal_point(store, "0990000101", "Kahindo Masika",
                                                         None, None, "+243"))
    key = default_key_file(db)
    assert stat.S_IMODE(key.stat().st_mode) == 0o600 and key.stat().st_size == KEY_BYTES
    before = key.read_bytes()
    with Store.open(db) as store:  # opened again: the same key, nothing re-created
        assert reg.focal_point(store, "+243990000101").name == "Kahindo Masika"
    assert key.read_bytes() == before
    os.chmod(key, 0o644)
    Store.open(db).close()
    assert stat.S_IMODE(key.stat().st_mode) == 0o600  # made owner-only again
    moved = tmp_path / "elsewhere.key"
    key.rename(moved)
    with pytest.raises(StoreError, match=r"data key .* is missing"):
        Store.open(db)
    assert not key.exists()  # a missing key is never silently replaced by a new one
    with Store.open(db, key_file=moved) as store:  # [store] key_file points to it
        assert reg.focal_point(store, "+243990000101").name == "Kahindo Masika"
    with Store.open(db, migrate=False) as worker:  # the daemon's workers find it again
        assert reg.focal_point(worker, "+243990000101") is not None
    with pytest.raises(StoreError, match="is its medium mounted"):
        Store.open(tmp_path / "new.db", key_file=tmp_path / "stick" / "gateway.key")
    other = tmp_path / "other.key"
    Store.open(tmp_path / "other.db", key_file=other).close()
    with pytest.raises(StoreError, match="is not the data key"):
        Store.open(db, key_file=other)


def test_look_ups_by_sender_use_the_keyed_hash(tmp_path):
    with Store.open(tmp_path / "gateway.db") as store:
        sealer = store.sealer
        with store.transaction() as db:
            row = outbox.enqueue(db, "sms", 1, time.time(), None, "+243990000101", "KWJ-0001 ok")
        (due,) = outbox.due(store.db, "sms", time.time())
        assert (due.id, due.recipient, due.body) == (row, "+243990000101", "KWJ-0001 ok")
        stored = store.db.execute("SELECT recipient, body FROM outbox").fetchone()
        assert all(isinstance(value, bytes) for value in stored)
        assert sealer.seal("x") != sealer.seal("x")  # a fresh nonce each time
        assert sealer.identity_key("+243990000101") == sealer.identity_key("+243990000101")
        assert sealer.identity_key("+243990000101") != sealer.identity_key("+243990000102")
        damaged = bytearray(stored[0])
        damaged[-1] ^= 1
        with pytest.raises(StoreError, match="does not open"):
            sealer.unseal(bytes(damaged))  # authenticated: a changed byte is refused
