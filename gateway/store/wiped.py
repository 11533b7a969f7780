"""The mark an emergency wipe leaves beside the store, which no open of the store gets past.

The wipe (gateway/wipe/) writes its journal here before it destroys the data key and keeps it
afterwards. Without this check, the first `cangw` command after a wipe would quietly create an
empty store and a new key, and a daemon restarted by systemd would start receiving again on a
box that was meant to be dead until someone sets it up again.
"""

from __future__ import annotations

import json
from pathlib import Path

from gateway.errors import StoreError

SUFFIX = ".wiped"


def journal_path(store_path: Path) -> Path:
    return store_path.with_name(store_path.name + SUFFIX)


def refuse_if_wiped(store_path: Path) -> None:
    journal = journal_path(store_path)
    if not journal.exists():
        return
    try:
        when = json.loads(journal.read_text(encoding="utf-8")).get("started_at_utc", "?")
    except (OSError, ValueError):
        when = "?"
    raise StoreError(f"this gateway was wiped ({when}): nothing is received or stored until it "
                     f"is set up again with `cangw setup-after-wipe` (see {journal})")
