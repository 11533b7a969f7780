"""The gateway's health in one dictionary: for `cangw status` and the retained MQTT status."""

from __future__ import annotations

import time

from gateway import __version__
from gateway.config import Config
from gateway.credit import sms_failures
from gateway.payload import iso_utc
from gateway.sbd.policy import satellite_counts
from gateway.store import Store, outbox
from gateway.store import alerts as alert_store
from gateway.store import links as link_status


def collect(store: Store, config: Config) -> dict:
    """Links, queues and last activity as the store knows them (works without the daemon)."""
    db = store.db
    depth = outbox.depth(db)
    oldest = [t for t in (outbox.oldest_pending(db, d) for d in depth) if t is not None]
    report = {
        "base": config.base.id,
        "name": config.base.name,
        "version": __version__,
        "links": {
            name: {k: v for k, v in info.items() if k != "updated_at"}
            | {"updated_at": iso_utc(info["updated_at"])}
            for name, info in link_status.all_links(db).items()
        },
        "queue": {dest: counts for dest, counts in sorted(depth.items())},
        "oldest_undelivered_at": iso_utc(min(oldest)) if oldest else None,
        "last_alert_at": iso_utc(alert_store.last_received_at(db)),
        "sms_failures": sms_failures(db),
    }
    if config.sbd is not None:  # counted from the store: right even while the daemon is down
        report["links"]["sbd"] = report["links"].get("sbd", {"state": "unknown", "updated_at": None}) \
            | satellite_counts(store, config, time.time())
    return report


def stable_view(status: dict) -> dict:
    """The status without its timestamps of last update, to tell a real change from a tick."""
    return {**status, "links": {name: {k: v for k, v in info.items() if k != "updated_at"}
                                for name, info in status["links"].items()}}


def now_iso() -> str | None:
    return iso_utc(time.time())
