"""An old base with a network worth handing over, and a fresh gateway to take it."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import pytest
from click.testing import CliRunner

from gateway.alerts.codes import load_codebook
from gateway.alerts.pipeline import Pipeline
from gateway.cli import cli
from gateway.config import load_config
from gateway.gsm.sms_pdu import decode_deliver
from gateway.sim.deliver_pdu import build_deliver_pdus
from gateway.sim.harness import write_config
from gateway.store import Store, groups, opt_outs
from gateway.store import registry as reg
from tests.conftest import VILLAGES

FR, SW, EN = "+243990000101", "+243990000102", "+243990000103"
NAMES = {FR: "Kahindo Masika", SW: "Baraka Mumbere", EN: "Grace Kavira"}
PASSPHRASE = "mvua ya jioni kwenye milima ya Rwenzori"
BROKER_PASSWORD = "broker-password-of-kwj"
SCHEDULE = "by 18:00"
# the old base's settings: a named schedule, a broker with a password file
OLD_EXTRA = (f'\n[triage.schedules]\nevening = "{SCHEDULE}"\n'
             '\n[mqtt]\nhost = "127.0.0.1"\nport = 1883\npassword_file = "broker.pw"\n'
             'username = "kwj"\n')


@dataclass(frozen=True)
class OldBase:
    config: Path
    store: Path
    alert_refs: list[str]


def run(config: Path, *args: str, code: int = 0, **kwargs: object) -> str:
    result = CliRunner().invoke(cli, ["-c", str(config), *args], **kwargs)
    assert result.exit_code == code, result.output
    return result.output


def private_file(path: Path, text: str) -> Path:
    path.write_text(text)
    path.chmod(0o600)
    return path


@pytest.fixture
def old_base(tmp_path: Path) -> OldBase:
    """Base KWJ: four villages (one with the named schedule), three focal points (one who sent
    STOP), a group, and three alerts."""
    folder = tmp_path / "old"
    folder.mkdir()
    private_file(folder / "broker.pw", BROKER_PASSWORD)
    config = load_config(write_config(folder, extra=OLD_EXTRA))
    with Store.open(config.store.path) as store:
        for village in VILLAGES:
            reg.save_village(store, village)
        reg.save_village(store, reg.make_village("55", "Kyavinyonge", zone="lake",
                                                 checkin="evening", schedules=["evening"]))
        ids = {phone: reg.save_focal_point(store, reg.make_focal_point(
                   store, phone, NAMES[phone], village, language, "+243"))
               for phone, village, language in [(FR, "12", "fr"), (SW, "204", "sw"),
                                                (EN, "31", "en")]}
        with store.transaction():
            watchers = groups.create(store.db, "watchers", "the evening check-in")
            groups.add_member(store.db, watchers, ids[SW])
            opt_outs.record(store.db, ids[EN], opt_outs.STOP, 1_700_000_000.0, None)
        pipeline = Pipeline(store, config, load_codebook())
        for sender, text in [(FR, "2 Kamango 15"), (SW, "hatari 3"), (EN, "4 Nobili")]:
            pipeline.ingest_sms(decode_deliver(build_deliver_pdus(sender, text)[0].hex))
        refs = [row[0] for row in store.db.execute("SELECT ref FROM alerts ORDER BY seq")]
    return OldBase(config.source, config.store.path, refs)


def new_base(tmp_path: Path, **kwargs: object) -> Path:
    """A fresh gateway's configuration (its store not yet made)."""
    folder = tmp_path / "new"
    folder.mkdir(parents=True, exist_ok=True)
    return write_config(folder, **kwargs)
