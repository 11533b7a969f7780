"""`cangw handover import`: a fresh gateway takes the base's network over.

Everything is checked before anything changes: the passphrase, the file's authenticity, the
archive, then every registry row inside one store transaction. The registry goes into the store
only (sealed under the new gateway's own data key); the settings, books and history are written
to a private folder for the operator to adopt. Alert numbers continue after the old base's last
one (`alert_seq_floor`), so no reference is ever given twice. A bundle made with the secrets
also carries the pseudonyms' secret, which a gateway that has no alert yet takes on, so that
each focal point keeps the pseudonym the history and headquarters know them by.
"""

from __future__ import annotations

import json
import os
from dataclasses import dataclass
from pathlib import Path

from gateway.config import Config
from gateway.handover import container, envelope
from gateway.handover.container import Contents
from gateway.handover.envelope import BundleError
from gateway.handover.registry_files import PSEUDONYMS, load_registry
from gateway.store import Store
from gateway.store import alerts as alert_store

REGISTRY = "registry/"  # never written out: the numbers stay sealed at rest
SEQ_FLOOR, PSEUDONYM_SECRET = "alert_seq_floor", "pseudonym_secret"
HELD = {"villages": "village(s)", "focal_points": "focal point(s)", "groups": "group(s)",
        "alerts": "alert(s)"}
FOLDER_MODE, FILE_MODE = 0o700, 0o600


@dataclass(frozen=True)
class Imported:
    """What the import did, for the technician's summary."""

    base_id: str
    counts: dict[str, int]
    last_alert_seq: int
    folder: Path
    pseudonyms_kept: bool  # the focal points keep their pseudonyms (an export with secrets)


def open_bundle(data: bytes, passphrase: str) -> Contents:
    """The bundle's contents; BundleError for a wrong passphrase or a damaged file."""
    return container.unpack(envelope.open_sealed(data, passphrase))


def store_holds(store: Store) -> list[str]:
    """What the store already holds ("2 focal point(s)"); empty for a fresh gateway."""
    counts = {table: store.db.execute(f"SELECT COUNT(*) FROM {table}").fetchone()[0]
              for table in HELD}
    return [f"{count} {HELD[table]}" for table, count in counts.items() if count]


def default_folder(config: Config, contents: Contents) -> Path:
    """Where the settings and history go: beside the store, named after the old base."""
    return config.store.path.parent / f"handover-{contents.base_id}"


def import_bundle(store: Store, config: Config, contents: Contents, folder: Path,
                  force: bool = False) -> Imported:
    """Set the gateway up from the bundle; BundleError, with nothing changed, when the store
    already holds a network (unless `force`: the bundle's villages and focal points are then
    added, replacing those with the same number, phone or callsign) or a row is not valid."""
    held = store_holds(store)
    if held and not force:
        raise BundleError(f"{store.path} already holds {', '.join(held)}: a hand-over sets up a "
                          "fresh gateway (--force adds the bundle's registry to this one)")
    pseudonyms = contents.files.get(PSEUDONYMS)
    if alert_store.recent(store.db, limit=1):
        pseudonyms = None  # the alerts stored here carry this gateway's own pseudonyms
    with store.transaction():
        counts = load_registry(store, contents.files, config.base.country_code,
                               config.triage.schedules)
        floor = max(contents.last_alert_seq, int(store.meta(SEQ_FLOOR) or 0))
        store.set_meta(SEQ_FLOOR, str(floor))
        if pseudonyms is not None:
            store.set_meta(PSEUDONYM_SECRET, store.seal_meta(pseudonyms.decode("utf-8")))
    write_files(folder, {name: data for name, data in contents.files.items()
                         if not name.startswith(REGISTRY)}
                | {container.MANIFEST: json.dumps(contents.manifest, ensure_ascii=False,
                                                  indent=2).encode("utf-8")})
    return Imported(contents.base_id, counts, floor, folder, pseudonyms is not None)


def write_files(folder: Path, files: dict[str, bytes]) -> None:
    """The files under `folder`, every folder 0700 and file 0600 (the settings may carry
    secrets when the export was asked to)."""
    folder.mkdir(FOLDER_MODE, parents=True, exist_ok=True)
    folder.chmod(FOLDER_MODE)
    for name, data in files.items():
        target = folder / name
        target.parent.mkdir(FOLDER_MODE, parents=True, exist_ok=True)
        fd = os.open(target, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, FILE_MODE)
        os.fchmod(fd, FILE_MODE)
        with os.fdopen(fd, "wb") as out:
            out.write(data)
