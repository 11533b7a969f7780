"""What the wipe destroys on disk, found before the key goes, and how each kind is destroyed.

Secrets (command keys, the broker's password) are overwritten in place and synced before they
are unlinked, like the data key (crypto.destroy_key). The store, its WAL, its backups and the
log files hold only sealed identities once the key is gone, and are unlinked: overwriting
hundreds of megabytes on an SD card would take minutes, and on a card the overwrite may land
on other blocks anyway (README, "What an SD card keeps").
"""

from __future__ import annotations

import dataclasses
import json
import sqlite3
from contextlib import closing
from pathlib import Path

from gateway.config import Config
from gateway.store.crypto import sync_folder
from gateway.store.maintenance import BACKUPS

STORE_SUFFIXES = ("", "-wal", "-shm", "-journal")


def inventory(config: Config) -> dict[str, list[str]]:
    """The paths the wipe destroys, by kind: read now, while the store can still be read."""
    store = config.store.path
    files = [str(store.with_name(store.name + suffix)) for suffix in STORE_SUFFIXES]
    files += [str(p) for p in sorted(store.parent.glob(f"{store.name}.corrupt-*"))]
    files += backups(store)
    logs = [str(p) for p in sorted(store.parent.glob("*.log"))]
    handed_secrets, handed_files = handed_over(store.parent)
    return {"secrets": _config_files(config, "key_file") + handed_secrets,
            "files": files + handed_files, "logs": logs,
            "last": _config_files(config, "password_file")}


def handed_over(folder: Path) -> tuple[list[str], list[str]]:
    """What `cangw handover import` unpacked beside the store (`handover-<BASE>/`): its
    secrets (a bundle made `--with-secrets` carries the broker's password and command keys in
    clear) and the rest (the old base's settings and history)."""
    secrets: list[str] = []
    others: list[str] = []
    for path in sorted(folder.glob("handover-*/**/*")):
        if path.is_file():
            (secrets if "secrets" in path.relative_to(folder).parts else others).append(str(path))
    return secrets, others


def backups(store: Path) -> list[str]:
    """The copies `cangw db backup` made (it records each in `meta`)."""
    row = read_meta(store, BACKUPS)
    return list(json.loads(row)) if row else []


def read_meta(store: Path, key: str) -> str | None:
    """A clear `meta` value, read without the data key (and closed at once: the wipe unlinks
    the file next, and an open connection would keep its blocks on the disk)."""
    try:
        with closing(sqlite3.connect(f"file:{store}?mode=ro", uri=True, timeout=2)) as conn:
            row = conn.execute("SELECT value FROM meta WHERE key = ?", [key]).fetchone()
    except sqlite3.Error:
        return None
    return row[0] if row else None


def _config_files(config: Config, ending: str) -> list[str]:
    """Every file a configured section names in a setting ending with `ending` (the satellite's
    command key, and any command key or password a later feature adds the same way)."""
    found = []
    for section in config.sections.values():
        for item in dataclasses.fields(section):
            value = getattr(section, item.name)
            if item.name.endswith(ending) and isinstance(value, Path):
                found.append(str(value))
    return found


def unlink(path: Path) -> bool:
    try:
        path.unlink()
    except FileNotFoundError:
        return False
    sync_folder(path.parent)
    return True
