"""Headquarters' programs on the cluster's NATS port: TLS against the cluster's CA, the
`[collector]` user, and reconnection to any of the three nodes."""

from __future__ import annotations

from typing import Any

import nats

from gateway.hq.config import CollectorConfig
from gateway.hq.streams import tls_context


async def connect(settings: CollectorConfig, name: str, **options: Any) -> nats.NATS:
    """A connection to one of `settings.servers` (the others are where it goes on a failure)."""
    return await nats.connect(
        servers=settings.servers, user=settings.username, password=settings.password(),
        tls=tls_context(settings.ca_file), name=name, connect_timeout=5,
        reconnect_time_wait=1, **options)
