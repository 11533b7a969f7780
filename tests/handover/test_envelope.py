"""The bundle's envelope and archive: every way a file can be wrong gives one clear
BundleError, and a bad row inside a good bundle changes nothing in the store."""

from __future__ import annotations

import io
import zipfile

import pytest

from gateway.config import load_config
from gateway.handover import container, envelope
from gateway.handover.envelope import BundleError, Kdf
from gateway.handover.import_bundle import import_bundle, open_bundle
from gateway.handover.registry_files import FOCAL_POINTS, GROUPS, MEMBERS, SCHEDULES, VILLAGES
from gateway.store import Store
from gateway.store import registry as reg
from tests.handover.conftest import PASSPHRASE, new_base

FAST = Kdf(log_n=10)
REGISTRY = {
    VILLAGES: b"number,name,alt_names,lat,lon,zone,checkin\n12,Kamango,,,,,\n",
    FOCAL_POINTS: b"id,phone,name,village,language,callsign,call_meaning,keypad,gender,"
                  b"age_group,checkin,broadcasts_off_at\n1,+243990000101,Kahindo,12,sw,,,0,,,,\n",
    GROUPS: b"name,description\n", MEMBERS: b"group,focal_id,member\n",
    SCHEDULES: b"applies_to,schedule,kept_in\n",
}


def sealed(files=REGISTRY, last_seq=41, kdf=FAST):
    manifest = {"base": {"id": "KWJ"}, "last_alert_seq": last_seq}
    return envelope.seal(container.pack(files, manifest), PASSPHRASE, kdf)


def test_a_bundle_opens_with_its_passphrase_only():
    data = sealed()
    contents = open_bundle(data, PASSPHRASE)
    assert contents.base_id == "KWJ" and contents.last_alert_seq == 41
    assert contents.files[VILLAGES] == REGISTRY[VILLAGES]
    with pytest.raises(BundleError, match="wrong passphrase"):
        open_bundle(data, PASSPHRASE + " ")


def test_the_passphrase_is_read_in_one_unicode_form():
    composed, decomposed = "Kinyongé wa Rwenzori", "Kinyonge\u0301 wa Rwenzori"
    data = envelope.seal(b"inside", composed, FAST)
    assert envelope.open_sealed(data, decomposed) == b"inside"


@pytest.mark.parametrize("place, expected", [
    (3, "not a cangw hand-over bundle"),                 # the magic
    (8, "format"),                                       # the version
    (9, "impossible"),                                   # scrypt's cost
    (20, "wrong passphrase"),                            # the salt
    (50, "damaged"),                                     # the nonce
    (70, "damaged"),                                     # the ciphertext
    (-1, "damaged"),                                     # the tag
])
def test_a_changed_byte_anywhere_is_found(place, expected):
    data = bytearray(sealed())
    data[place] ^= 0x40 if place != 8 else 0x02
    with pytest.raises(BundleError, match=expected):
        open_bundle(bytes(data), PASSPHRASE)


def test_a_cut_or_foreign_file_is_refused():
    data = sealed()
    for cut in (data[:30], data[:-1], b"", b"PK\x03\x04" + bytes(100)):
        with pytest.raises(BundleError):
            open_bundle(cut, PASSPHRASE)


def test_a_header_asking_for_too_much_memory_is_refused_before_any_work():
    data = bytearray(sealed())
    data[9] = 24  # log2(N): 16 GiB of scrypt
    with pytest.raises(BundleError, match="impossible"):
        open_bundle(bytes(data), PASSPHRASE)


def test_an_archive_with_an_unsafe_name_or_a_changed_file_is_refused():
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as archive:
        archive.writestr("../outside.txt", b"x")
        archive.writestr(container.MANIFEST, b"{}")
    with pytest.raises(BundleError, match="unsafe file name"):
        container.unpack(out.getvalue())
    packed = container.pack(REGISTRY, {"base": {"id": "KWJ"}, "last_alert_seq": 0})
    with zipfile.ZipFile(io.BytesIO(packed)) as archive:
        files = {info.filename: archive.read(info) for info in archive.infolist()}
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as archive:
        for name, data in files.items():
            archive.writestr(name, data.replace(b"Kamango", b"Kamanga"))
    with pytest.raises(BundleError, match="not the file its manifest describes"):
        container.unpack(out.getvalue())


def test_a_bad_row_names_its_file_and_line_and_changes_nothing(tmp_path):
    files = dict(REGISTRY)
    files[FOCAL_POINTS] += b"2,+243990000102,Baraka,99,sw,,,0,,,,\n"  # no village 99
    contents = open_bundle(sealed(files), PASSPHRASE)
    config = load_config(new_base(tmp_path))
    with Store.open(config.store.path) as store:
        with pytest.raises(BundleError, match=f"{FOCAL_POINTS} line 3: village 99"):
            import_bundle(store, config, contents, tmp_path / "files")
        assert reg.villages(store) == [] and reg.focal_points(store) == []
        assert store.meta("alert_seq_floor") is None
    assert not (tmp_path / "files").exists()


def test_the_numbering_never_goes_back(tmp_path):
    config = load_config(new_base(tmp_path))
    with Store.open(config.store.path) as store:
        with store.transaction():
            store.set_meta("alert_seq_floor", "90")
        import_bundle(store, config, open_bundle(sealed(), PASSPHRASE), tmp_path / "files",
                      force=True)
        assert store.meta("alert_seq_floor") == "90"


def test_the_default_cost_is_memory_hard():
    assert Kdf().memory >= 128 * 1024 * 1024
