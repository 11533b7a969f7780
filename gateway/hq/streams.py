"""Keep every base's QoS 1 messages in the cluster for RETENTION_DAYS, on three nodes.

NATS stores each QoS 1 MQTT message in its own stream `$MQTT_msgs` (subjects `$MQTT.msgs.>`)
on a majority of its replicas before it sends the base its PUBACK. Left to itself, NATS makes
that stream interest-based: a message is dropped once every persistent MQTT session that wanted
it has acknowledged it, or at once when none did. A second stream capturing `can.v1.>` is no
answer: it receives the messages by ordinary delivery, after the PUBACK, and loses the ones
published while it has no leader.

So the same stream is made a limits stream: what a base's PUBACK confirmed stays on three nodes
for RETENTION_DAYS whatever the consumers do, and headquarters can rebuild its store from the
cluster by reading `$MQTT.msgs.can.v1.>` from the start. NATS accepts a messages stream that
already exists, so this runs once, best before the first base connects, and can also convert
a stream NATS created (interest to limits is an allowed change).

The same settings are in firmware-config/hq/messages-stream.json for the `nats` command line.
"""

from __future__ import annotations

import argparse
import asyncio
import ssl
from pathlib import Path

import nats
from nats.js.api import StreamConfig
from nats.js.errors import NotFoundError

from gateway.hq.users import MESSAGES_STREAM

RETENTION_DAYS = 90
NANOSECONDS_PER_DAY = 86400 * 10**9

MESSAGES_STREAM_CONFIG = {
    "name": MESSAGES_STREAM,
    "subjects": ["$MQTT.msgs.>"],
    "retention": "limits",
    "storage": "file",
    "num_replicas": 3,
    "max_age": RETENTION_DAYS * NANOSECONDS_PER_DAY,
    "max_bytes": 20 * 1024**3,
    "discard": "old",
}


def tls_context(ca_file: Path) -> ssl.SSLContext:
    return ssl.create_default_context(cafile=str(ca_file))


async def _ensure(servers: list[str], user: str, password: str, ca_file: Path) -> StreamConfig:
    connection = await nats.connect(servers=servers, user=user, password=password,
                                    tls=tls_context(ca_file), connect_timeout=5, max_reconnect_attempts=3)
    try:
        js = connection.jetstream(timeout=10)
        config = StreamConfig.from_response(dict(MESSAGES_STREAM_CONFIG))
        try:
            await js.stream_info(MESSAGES_STREAM)
        except NotFoundError:
            info = await js.add_stream(config)
        else:
            info = await js.update_stream(config)
        return info.config
    finally:
        await connection.close()


def ensure_messages_stream(servers: list[str], user: str, password: str, ca_file: Path) -> StreamConfig:
    """Create `$MQTT_msgs` with the retention above, or convert the one that exists."""
    return asyncio.run(_ensure(servers, user, password, ca_file))


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m gateway.hq.streams",
                                     description="Set up the retention of the MQTT messages stream.")
    parser.add_argument("--server", action="append", required=True, help="tls://host:4222 (repeatable)")
    parser.add_argument("--user", default="hq-admin")
    parser.add_argument("--password-file", type=Path, required=True)
    parser.add_argument("--ca", type=Path, required=True, help="the CA that signed the nodes' certificates")
    args = parser.parse_args(argv)
    password = args.password_file.read_text(encoding="utf-8").strip()
    config = ensure_messages_stream(args.server, args.user, password, args.ca)
    print(f"{config.name}: {config.retention}, {config.num_replicas} replicas, "
          f"kept {(config.max_age or 0) / 86400:.0f} days")


if __name__ == "__main__":
    main()
