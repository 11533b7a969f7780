"""`cangw handover export` and `import` against real stores: what goes over, what stays out,
and the refusals that leave the new gateway untouched."""

from __future__ import annotations

import csv
import io
import stat
import tomllib
from pathlib import Path

from lxml import etree

from gateway.store import Store, groups, opt_outs
from gateway.store import registry as reg
from gateway.store.alerts import next_seq
from tests.cap.test_cap import SCHEMA
from tests.handover.conftest import (
    BROKER_PASSWORD,
    EN,
    FR,
    NAMES,
    PASSPHRASE,
    SCHEDULE,
    SW,
    new_base,
    private_file,
    run,
)

FAST = ("--kdf-cost", "14")


def export(old_base, tmp_path: Path, *args: str) -> Path:
    bundle = tmp_path / "kwj.cgw"
    secret = private_file(tmp_path / "passphrase", PASSPHRASE)
    run(old_base.config, "handover", "export", "--to", str(bundle), "--passphrase-file",
        str(secret), *FAST, *args)
    return bundle


def import_(config: Path, bundle: Path, *args: str, code: int = 0) -> str:
    secret = private_file(bundle.with_name("passphrase-in"), PASSPHRASE)
    return run(config, "handover", "import", str(bundle), "--passphrase-file", str(secret),
               *args, code=code)


def mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


def test_export_writes_a_private_file_with_no_number_or_name_in_clear(old_base, tmp_path):
    bundle = export(old_base, tmp_path)
    assert mode(bundle) == 0o600
    data = bundle.read_bytes()
    assert data.startswith(b"CANGWHO1")
    for phone, name in NAMES.items():
        assert phone.encode() not in data and phone[4:].encode() not in data
        assert name.encode() not in data
    assert BROKER_PASSWORD.encode() not in data
    assert [p.name for p in tmp_path.iterdir() if p.name.startswith(".")] == []  # no temporary


def test_import_sets_a_fresh_gateway_up_and_continues_the_numbering(old_base, tmp_path):
    bundle = export(old_base, tmp_path)
    config = new_base(tmp_path)
    output = import_(config, bundle)
    assert "4 focal points" not in output and "3 focal points" in output
    assert "the next alert is KWJ-0004" in output

    with Store.open(config.parent / "gateway.db") as store:
        points = {p.phone: p for p in reg.focal_points(store)}
        assert {phone: p.name for phone, p in points.items()} == NAMES
        assert {phone: (p.language, p.village) for phone, p in points.items()} == {
            FR: ("fr", 12), SW: ("sw", 204), EN: ("en", 31)}
        lake = reg.village(store, 55)
        assert lake is not None and lake.zone == "lake"
        assert lake.checkin == SCHEDULE  # the old base's named schedule, written out
        assert [v.number for v in reg.villages(store)] == sorted([12, 204, 31, 47, 55])
        watchers = groups.find(store.db, "watchers")
        assert watchers is not None and watchers.description == "the evening check-in"
        members = groups.members(store.db, watchers.id)
        assert [reg.focal_point_by_id(store, focal_id).phone for focal_id, _ in members] == [SW]
        stopped = opt_outs.stopped(store.db)
        assert [reg.focal_point_by_id(store, focal_id).phone for focal_id in stopped] == [EN]
        assert next_seq(store.db) == 4
        # sealed under the new gateway's own key: no clear number in the table
        assert store.db.execute("SELECT COUNT(*) FROM focal_points WHERE phone LIKE '+243%'"
                                ).fetchone()[0] == 0


def test_import_writes_settings_and_history_privately_and_no_registry(old_base, tmp_path):
    bundle = export(old_base, tmp_path)
    config = new_base(tmp_path)
    import_(config, bundle)
    folder = config.parent / "handover-KWJ"
    assert mode(folder) == 0o700
    written = {p.relative_to(folder).as_posix(): p for p in folder.rglob("*") if p.is_file()}
    assert all(mode(p) == 0o600 for p in written.values())
    assert not any(name.startswith("registry/") for name in written)
    assert {"README.md", "manifest.json", "config/gateway.toml", "config/codebook.toml",
            "config/broadcasts.toml", "history/alerts.csv", "history/incidents.csv",
            "history/incident_changes.csv"} <= set(written)
    alerts = list(csv.DictReader(io.StringIO(written["history/alerts.csv"].read_text())))
    assert [a["ref"] for a in alerts] == old_base.alert_refs == ["KWJ-0001", "KWJ-0002",
                                                                 "KWJ-0003"]
    assert all(a["sender"].startswith("fp-") for a in alerts)
    incidents = list(csv.DictReader(io.StringIO(written["history/incidents.csv"].read_text())))
    assert [(i["ref"], i["villages"]) for i in incidents] == [
        ("KWJ-I0001", "12:Kamango"), ("KWJ-I0002", "204:Mutwanga"), ("KWJ-I0003", "31:Nobili")]
    cap_files = [p for n, p in written.items() if n.startswith("history/cap/alerts/")]
    assert len(cap_files) == 3
    incident_files = sorted(n for n in written if n.startswith("history/cap/incidents/"))
    assert [n.rsplit("/", 1)[1].split("-I")[1] for n in incident_files] == \
        ["1-v1.xml", "2-v1.xml", "3-v1.xml"]
    for path in [*cap_files, *(written[n] for n in incident_files)]:
        SCHEMA.assertValid(etree.parse(str(path)))
    settings = tomllib.loads(written["config/gateway.toml"].read_text())
    assert "password_file" not in settings["mqtt"] and settings["mqtt"]["username"] == "kwj"
    assert settings["triage"]["schedules"] == {"evening": SCHEDULE}
    assert "[mqtt] password_file" in written["config/gateway.toml"].read_text()
    for path in written.values():
        text = path.read_bytes()
        assert BROKER_PASSWORD.encode() not in text
        assert not any(phone.encode() in text or name.encode() in text
                       for phone, name in NAMES.items())


def pseudonym(store_path: Path, phone: str) -> str | None:
    with Store.open(store_path) as store:
        return store.pseudonymiser()(phone)


def test_secrets_go_over_only_when_asked(old_base, tmp_path):
    plain = new_base(tmp_path / "plain")
    import_(plain, export(old_base, tmp_path / "plain"))
    assert pseudonym(plain.parent / "gateway.db", SW) != pseudonym(old_base.store, SW)

    bundle = export(old_base, tmp_path, "--with-secrets")
    config = new_base(tmp_path)
    assert "focal points keep their pseudonyms" in import_(config, bundle)
    folder = config.parent / "handover-KWJ"
    settings = tomllib.loads((folder / "config" / "gateway.toml").read_text())
    assert settings["mqtt"]["password_file"] == "secrets/broker.pw"
    assert (folder / "config" / "secrets" / "broker.pw").read_text() == BROKER_PASSWORD
    assert pseudonym(config.parent / "gateway.db", SW) == pseudonym(old_base.store, SW)
    assert not (folder / "registry").exists()  # the pseudonyms' secret stays sealed in the store


def test_a_store_that_holds_a_network_is_refused_unless_forced(old_base, tmp_path):
    bundle = export(old_base, tmp_path)
    config = new_base(tmp_path)
    with Store.open(config.parent / "gateway.db") as store:
        reg.save_focal_point(store, reg.make_focal_point(store, "+243990000199", "Someone",
                                                         None, "fr", "+243"))
    refused = import_(config, bundle, code=1)
    assert "already holds 1 focal point(s)" in refused and "nothing imported" in refused
    with Store.open(config.parent / "gateway.db") as store:
        assert len(reg.focal_points(store)) == 1 and reg.villages(store) == []
        assert store.meta("alert_seq_floor") is None
    assert not (config.parent / "handover-KWJ").exists()

    import_(config, bundle, "--force")
    with Store.open(config.parent / "gateway.db") as store:
        assert len(reg.focal_points(store)) == 4 and next_seq(store.db) == 4


def test_a_wrong_passphrase_changes_nothing(old_base, tmp_path):
    bundle = export(old_base, tmp_path)
    config = new_base(tmp_path)
    wrong = private_file(tmp_path / "wrong", "not the passphrase at all")
    output = run(config, "handover", "import", str(bundle), "--passphrase-file", str(wrong),
                 code=1)
    assert "wrong passphrase" in output and "Traceback" not in output
    assert not (config.parent / "gateway.db").exists()


def test_a_tampered_bundle_changes_nothing(old_base, tmp_path):
    bundle = export(old_base, tmp_path)
    data = bytearray(bundle.read_bytes())
    data[len(data) // 2] ^= 0x01
    bundle.write_bytes(bytes(data))
    config = new_base(tmp_path)
    output = import_(config, bundle, code=1)
    assert "damaged" in output and "Traceback" not in output
    assert not (config.parent / "gateway.db").exists()


def test_export_asks_for_the_passphrase_twice_and_keeps_an_existing_file(old_base, tmp_path):
    bundle = tmp_path / "kwj.cgw"
    typed = f"{PASSPHRASE}\n{PASSPHRASE}\n"
    run(old_base.config, "handover", "export", "--to", str(bundle), *FAST, input=typed)
    assert mode(bundle) == 0o600
    before = bundle.read_bytes()
    output = run(old_base.config, "handover", "export", "--to", str(bundle), *FAST, input=typed,
                 code=1)
    assert "exists" in output and bundle.read_bytes() == before
    short = run(old_base.config, "handover", "export", "--to", str(tmp_path / "other.cgw"),
                *FAST, input="short\nshort\n", code=1)
    assert "too short" in short and not (tmp_path / "other.cgw").exists()


def test_a_passphrase_file_others_can_read_is_refused(old_base, tmp_path):
    secret = tmp_path / "passphrase"
    secret.write_text(PASSPHRASE)
    secret.chmod(0o644)
    output = run(old_base.config, "handover", "export", "--to", str(tmp_path / "kwj.cgw"),
                 "--passphrase-file", str(secret), *FAST, code=1)
    assert "others can read" in output and not (tmp_path / "kwj.cgw").exists()
