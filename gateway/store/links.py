"""Each link's last known state, written by the daemon and read by `cangw status` and MQTT."""

from __future__ import annotations

import json
import time

from sqlite_utils import Database


def record(db: Database, link: str, state: str, **detail: object) -> None:
    """A link's state now; an error is also kept as the gateway's last error, which stays
    in `cangw status` after the link recovers."""
    now = time.time()
    db.execute(
        "INSERT INTO link_status (link, state, detail, updated_at) VALUES (?, ?, ?, ?)"
        " ON CONFLICT(link) DO UPDATE SET state = excluded.state, detail = excluded.detail,"
        " updated_at = excluded.updated_at",
        [link, state, json.dumps(detail, default=str), now],
    )
    if detail.get("error"):
        db.execute(
            "INSERT INTO meta (key, value) VALUES ('last_error', ?)"
            " ON CONFLICT(key) DO UPDATE SET value = excluded.value",
            [json.dumps({"link": link, "error": str(detail["error"]), "at": now})])


def all_links(db: Database) -> dict[str, dict]:
    result = {}
    for link, state, detail, updated_at in db.execute(
        "SELECT link, state, detail, updated_at FROM link_status ORDER BY link"
    ).fetchall():
        result[link] = {"state": state, "updated_at": updated_at, **json.loads(detail)}
    return result
