"""Headquarters' commands to a base through the cluster, stored so that a base that is away
gets them when it comes back (its MQTT session is persistent, on any node).

The command is published into the stream NATS keeps MQTT's QoS 1 messages in, under the base's
command topic (`$MQTT.msgs.<prefix>.<base>.commands`) with the header NATS's MQTT layer marks
QoS 1 messages with (`Nmqtt-Pub: 1`): the base's QoS 1 subscription delivers it like a message
an MQTT client published, now or when the base reconnects, and the JetStream acknowledgement
comes once a majority of the stream's replicas stored it, as a base's PUBACK does (tested in
tests/hq/test_collect.py against nats-server 2.15). A plain NATS publish would reach only a
base connected at that moment, at QoS 0.

The payload is built by the caller, with its HMAC and counter (today the satellite form of
gateway/sbd/commands.py); this module only carries and records it.
"""

from __future__ import annotations

import asyncio
import sqlite3
import time
from dataclasses import dataclass

from gateway.hq.cluster_client import connect
from gateway.hq.config import BASE_ID, CollectorConfig
from gateway.hq.records import transaction

QOS_HEADER = "Nmqtt-Pub"
PUBLISH_TIMEOUT = 15.0  # seconds for the cluster's acknowledgement (covers a leader election)


@dataclass(frozen=True)
class Sent:
    base: str
    command: str
    stream_seq: int


def command_subject(settings: CollectorConfig, base: str) -> str:
    if not BASE_ID.fullmatch(base):
        raise ValueError(f"base id {base!r}: expected 2 to 8 capital letters or digits")
    return f"$MQTT.msgs.{settings.topic_prefix.replace('/', '.')}.{base}.commands"


async def _publish(settings: CollectorConfig, subject: str, payload: bytes) -> int:
    connection = await connect(settings, "cangw-hq-command", max_reconnect_attempts=3)
    try:
        ack = await connection.jetstream(timeout=PUBLISH_TIMEOUT).publish(
            subject, payload, headers={QOS_HEADER: "1"})
        return ack.seq
    finally:
        await connection.close()


def send_command(settings: CollectorConfig, conn: sqlite3.Connection, base: str, command: str,
                 counter: int | None, payload: bytes) -> Sent:
    """Publish `payload` for `base`, then record it in headquarters' store; raises when the
    cluster did not acknowledge it (nothing is recorded then: send it again)."""
    seq = asyncio.run(_publish(settings, command_subject(settings, base), payload))
    with transaction(conn):
        conn.execute("INSERT INTO hq_commands (base, command, counter, payload, stream_seq, sent_at)"
                     " VALUES (?, ?, ?, ?, ?, ?)", [base, command, counter, payload.hex(), seq,
                                                    time.time()])
    return Sent(base, command, seq)
