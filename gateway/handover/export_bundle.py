"""`cangw handover export`: the base's network in one encrypted file, private to its owner.

The registry is read through the store's functions (which open the sealed numbers and names)
and goes straight into the sealed envelope: no clear copy is written to disk on the way.
"""

from __future__ import annotations

import contextlib
import os
import time
from importlib import resources
from pathlib import Path
from typing import Any

from gateway import __version__
from gateway.alerts.codes import CodeBook
from gateway.config import Config
from gateway.handover import container, envelope
from gateway.handover.config_files import config_files
from gateway.handover.history_files import ALERTS, history_files
from gateway.handover.registry_files import (
    FOCAL_POINTS,
    GROUPS,
    MEMBERS,
    PSEUDONYMS,
    VILLAGES,
    registry_files,
)
from gateway.handover.tables import csv_records
from gateway.store import Store, pseudonym_secret
from gateway.store import alerts as alert_store
from gateway.timeutil import iso_utc

README = "README.md"
BUNDLE_MODE = 0o600


def bundle_bytes(store: Store, config: Config, codebook: CodeBook, passphrase: str,
                 with_secrets: bool = False,
                 kdf: envelope.Kdf = envelope.DEFAULT_KDF) -> tuple[bytes, dict[str, Any]]:
    """The sealed bundle of the base's network, and its manifest (no identity in it) for the
    technician's summary."""
    files = registry_files(store, config.triage)
    if with_secrets:
        files[PSEUDONYMS] = pseudonym_secret(store.db).encode("utf-8")
    settings, left_out = config_files(config, with_secrets)
    files |= settings | history_files(store, config, codebook)
    files[README] = resources.files("gateway").joinpath("data/handover_readme.md").read_bytes()
    base = config.base
    manifest = {
        "base": {"id": base.id, "name": base.name, "language": base.language,
                 "country_code": base.country_code, "timezone": base.timezone},
        "exported_at": iso_utc(time.time()), "cangw": __version__,
        "last_alert_seq": alert_store.next_seq(store.db) - 1,
        "counts": {noun: sum(1 for _ in csv_records(name, files[name], []))
                   for noun, name in (("villages", VILLAGES), ("focal_points", FOCAL_POINTS),
                                      ("groups", GROUPS), ("group_members", MEMBERS),
                                      ("alerts", ALERTS))},
        "left_out": left_out, "with_secrets": with_secrets,
    }
    return envelope.seal(container.pack(files, manifest), passphrase, kdf), manifest


def write_private(path: Path, data: bytes) -> None:
    """Write the bundle whole or not at all, readable by its owner only (0600 whatever the
    umask): a temporary file beside it, synced, then renamed over the name."""
    temporary = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    fd = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_EXCL, BUNDLE_MODE)
    try:
        os.fchmod(fd, BUNDLE_MODE)
        with os.fdopen(fd, "wb") as out:
            out.write(data)
            out.flush()
            os.fsync(out.fileno())
        os.replace(temporary, path)
    except BaseException:
        with contextlib.suppress(FileNotFoundError):
            temporary.unlink()
        raise
