"""Each broadcast's delivery summary for headquarters: counts by state on
`{topic_prefix}/{base_id}/events` (`"event": "broadcast"`), the first as soon as it is queued,
then again as reports come in (at most every `[outreach] summary_every` seconds), and a last one
when every recipient's state is final. A version that only grows orders them; a newer summary
replaces one still waiting to leave. Counts only: never a number, a name or a reply's text.
"""

from __future__ import annotations

import json
import logging

from sqlite_utils import Database

from gateway.alerts.codes import PRIORITY
from gateway.alerts.payload import SCHEMA_VERSION
from gateway.config import Config
from gateway.outreach.config import outreach_settings
from gateway.sbd.reply import MAX_BROADCASTS, BroadcastSummary
from gateway.store import broadcasts as broadcast_store
from gateway.store import outbox
from gateway.store.broadcasts import ALL_SENT, FINAL, SENDING, SETTLED, BroadcastRow
from gateway.timeutil import iso_utc

log = logging.getLogger(__name__)

EVENT = "broadcast"
DAY = 86400.0


def broadcast_state(counts: dict[str, int], row: BroadcastRow, now: float,
                    reply_window: float) -> str:
    """sending (messages still queued), sent (all with the network, reports to come), settled
    (every state final, and the time for replies over)."""
    if counts["queued"]:
        return SENDING
    final = all(counts[s] == 0 for s in counts if s not in FINAL)
    if final and (row.cancelled_at is not None or now >= row.created_at + reply_window):
        return SETTLED
    return ALL_SENT


def summary(db: Database, row: BroadcastRow, state: str) -> dict:
    """The figures of one broadcast (what `cangw broadcast show` and headquarters read)."""
    counts = broadcast_store.counts(db, row.id)
    replied, _ = broadcast_store.reply_counts(db, row.id)
    return {"state": state, "cancelled": row.cancelled_at is not None,
            "recipients": sum(counts.values()), "counts": counts,
            "by_channel": broadcast_store.counts_by(db, row.id, "channel"),
            "replied": replied}


def payload(row: BroadcastRow, base_id: str, figures: dict, version: int, now: float) -> dict:
    return {"schema": SCHEMA_VERSION, "event": EVENT, "base": base_id, "id": row.uid,
            "ref": row.ref, "origin": row.origin, "command_counter": row.counter,
            "target": row.target, "template": row.template, "languages": list(row.languages),
            "sms_parts": row.sms_parts, "forced": row.forced, **figures, "version": version,
            "created_at": iso_utc(row.created_at), "updated_at": iso_utc(now)}


class Summaries:
    """Keeps every live broadcast's state and queues its summaries (the outreach worker's)."""

    def __init__(self, config: Config):
        self.config = config
        self.settings = outreach_settings(config)

    def run(self, db: Database, now: float) -> int:
        """Inside a transaction: look at every broadcast not settled; how many summaries were
        queued."""
        queued = 0
        for row in broadcast_store.live(db):
            counts = broadcast_store.counts(db, row.id)
            state = broadcast_state(counts, row, now, self.settings.reply_window)
            if state != row.state:
                broadcast_store.set_state(db, row.id, state, now)
                if state == SETTLED:
                    log.info("%s settled: %s", row.ref, _words(counts))
            figures = summary(db, row, state)
            due = row.summary_at is None or state != row.state or \
                now - row.summary_at >= self.settings.summary_every
            if figures != row.summary and due:
                self._queue(db, row, figures, now)
                queued += 1
        return queued

    def _queue(self, db: Database, row: BroadcastRow, figures: dict, now: float) -> None:
        version = row.summary_version + 1
        row_id = None
        if self.config.mqtt is not None:
            if row.summary_row is not None:
                outbox.supersede(db, row.summary_row, f"superseded by version {version}", now)
            row_id = outbox.enqueue(db, "mqtt", PRIORITY["Minor"], now, body=json.dumps(
                payload(row, self.config.base.id, figures, version, now),
                ensure_ascii=False, separators=(",", ":")))
        broadcast_store.set_summary(db, row.id, figures, version, now, row_id)


def _words(counts: dict[str, int]) -> str:
    return ", ".join(f"{n} {state}" for state, n in counts.items() if n) or "no recipient"


def satellite_summaries(db: Database, now: float) -> tuple[BroadcastSummary, ...]:
    """The newest broadcasts of the last day (or still live) and the broadcast commands refused
    in it, for the satellite status reply (at most MAX_BROADCASTS, newest first)."""
    found = []
    for row in broadcast_store.recent(db, now - DAY, MAX_BROADCASTS):
        counts = broadcast_store.counts(db, row.id)
        replied, _ = broadcast_store.reply_counts(db, row.id)
        found.append((row.created_at, BroadcastSummary(
            row.counter or 0, row.id, "cancelled" if row.cancelled_at else row.state,
            sum(counts.values()), counts["queued"], counts["sent"], counts["delivered"],
            counts["failed"], counts["expired"], replied)))
    for received_at, counter in db.execute(
            "SELECT received_at, counter FROM sbd_commands WHERE accepted = 1 AND command ="
            " 'broadcast' AND outcome LIKE 'refused%' AND received_at >= ? ORDER BY id DESC"
            " LIMIT ?", [now - DAY, MAX_BROADCASTS]):
        found.append((received_at, BroadcastSummary(counter or 0, 0, "refused", 0, 0, 0, 0, 0,
                                                    0, 0)))
    found.sort(key=lambda item: item[0], reverse=True)
    return tuple(summary for _, summary in found[:MAX_BROADCASTS])
