"""The gateway's health in one dictionary: for `cangw status` and the retained MQTT status."""

from __future__ import annotations

import json
import time

from sqlite_utils import Database

from gateway import __version__
from gateway.config import Config
from gateway.gsm.credit import sms_failures
from gateway.sbd.policy import satellite_counts
from gateway.store import Store, free_disk_mb, outbox, silences
from gateway.store import alerts as alert_store
from gateway.store import links as link_status
from gateway.timeutil import iso_utc


def collect(store: Store, config: Config) -> dict:
    """Links, queues, last activity and the store's health as the store knows them (works
    without the daemon)."""
    db = store.db
    depth = outbox.depth(db)
    oldest = [t for t in (outbox.oldest_pending(db, d) for d in depth) if t is not None]
    links = {
        name: {k: v for k, v in info.items() if k != "updated_at"}
        | {"updated_at": iso_utc(info["updated_at"])}
        for name, info in link_status.all_links(db).items()
    }
    report = {
        "base": config.base.id,
        "name": config.base.name,
        "version": __version__,
        "links": links,
        "queue": {dest: counts for dest, counts in sorted(depth.items())},
        "oldest_undelivered_at": iso_utc(min(oldest)) if oldest else None,
        "last_alert_at": iso_utc(alert_store.last_received_at(db)),
        "sms_failures": sms_failures(db),
        "last_error": _with_time(_meta_json(store, "last_error")),
        "store": store_health(store, config),
        "silence": overdue(db),
    }
    if config.sbd is not None:  # counted from the store: right even while the daemon is down
        links["sbd"] = links.get("sbd", {"state": "unknown", "updated_at": None}) \
            | satellite_counts(store, config, time.time())
    return report


def overdue(db: Database) -> dict:
    """Check-ins missed and not made up (counts and the oldest, for `cangw status` and MQTT)."""
    silent = silences.open_silences(db)
    return {"overdue": len(silent), "villages": len({s.village for s in silent if s.village}),
            "since": iso_utc(silent[0].due_at) if silent else None}


def store_health(store: Store, config: Config) -> dict:
    """The start-up integrity check, a corrupt store replaced (if ever), and free disk space
    against `[store] min_free_mb`."""
    integrity = _meta_json(store, "integrity") or {}
    recovered = _meta_json(store, "store_recovered")
    free_mb = free_disk_mb(store.path)
    return {
        "integrity": integrity.get("result", "not checked yet (the daemon checks at start)"),
        "checked_at": iso_utc(integrity.get("checked_at")),
        "replaced": _with_time(recovered),
        "disk_free_mb": free_mb,
        "min_free_mb": config.store.min_free_mb,
        "low_disk": free_mb < config.store.min_free_mb,
    }


def stable_view(status: dict) -> dict:
    """The status without what changes on its own (update times, free megabytes), to tell a
    real change from a tick."""
    return {**status,
            "links": {name: {k: v for k, v in info.items() if k != "updated_at"}
                      for name, info in status["links"].items()},
            "store": {k: v for k, v in status["store"].items() if k != "disk_free_mb"}}


def now_iso() -> str | None:
    return iso_utc(time.time())


def _meta_json(store: Store, key: str) -> dict | None:
    value = store.meta(key)
    try:
        return json.loads(value) if value else None
    except ValueError:
        return None


def _with_time(event: dict | None) -> dict | None:
    """An event with its epoch `at` as ISO-8601 UTC."""
    if event is None:
        return None
    return {**event, "at": iso_utc(event.get("at"))}
