"""Base KWJ handed over to a fresh gateway: the real daemon on the imported store, with the
simulated modem, acknowledges a registered focal point in their language, numbered after the
old base's alerts, with the old base's code book."""

from __future__ import annotations

from gateway.sim.harness import DaemonProcess, query, wait_for, wait_until_gsm_up, write_config
from tests.acks import expected_ack
from tests.handover.conftest import PASSPHRASE, SW, private_file, run


def test_a_fresh_gateway_takes_the_network_over(old_base, tmp_path, modem):
    bundle, secret = tmp_path / "kwj.cgw", private_file(tmp_path / "passphrase", PASSPHRASE)
    run(old_base.config, "handover", "export", "--to", str(bundle), "--passphrase-file",
        str(secret), "--kdf-cost", "14")

    folder = tmp_path / "new"
    folder.mkdir()
    config = write_config(folder, modem.path, base_language="fr")
    run(config, "handover", "import", str(bundle), "--passphrase-file", str(secret))
    # the operator adopts the old base's code book, as the import's summary says
    with config.open("a") as out:
        out.write('\n[codes]\nfile = "handover-KWJ/config/codebook.toml"\n')

    db = folder / "gateway.db"
    with DaemonProcess(config) as daemon:
        wait_until_gsm_up(db, daemon)
        modem.inject_sms(SW, "hatari 3")
        ack = wait_for(lambda: modem.sent and modem.sent[0], what="the acknowledgement")
        assert daemon.stop() == 0

    assert ack.number == SW
    assert expected_ack("KWJ-0004", "sw", "3", "Mutwanga").fullmatch(ack.text), ack.text
    assert query(db, "SELECT ref, code, language, registered, village_name FROM alerts") == [
        ("KWJ-0004", "3", "sw", 1, "Mutwanga")]
