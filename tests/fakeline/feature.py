"""The fake line channel's section, worker and acknowledgement route."""

from __future__ import annotations

import time
from collections.abc import Mapping
from dataclasses import dataclass

import serial

from gateway.alerts.pipeline import Pipeline
from gateway.config import Config
from gateway.feature import AckRoute, Feature, WorkerArgs
from gateway.store import Store, outbox
from gateway.store.inbox import NewMessage
from gateway.workers import Worker

CHANNEL = "fakeline"


@dataclass(frozen=True)
class FakeLineConfig:
    port: str


class FakeLineService(Worker):
    def __init__(self, args: WorkerArgs):
        super().__init__(CHANNEL)
        self.args = args
        self.section: FakeLineConfig = args.config.section(CHANNEL)

    def loop(self) -> None:
        store = Store.open(self.args.config.store.path, migrate=False)
        pipeline = Pipeline(store, self.args.config, self.args.codebook, self.args.notifier)
        with store, serial.serial_for_url(self.section.port, timeout=0.05) as port:
            self.up.set()
            while not self.stopping.is_set():
                self.beat()
                line = port.readline().decode("utf-8", "replace").strip()
                if ":" in line:
                    sender, _, text = line.partition(":")
                    with store.transaction():
                        alert = pipeline.record_message(
                            NewMessage(CHANNEL, sender.strip(), text.strip(), time.time()))
                    pipeline.announce(alert)
                for row in outbox.due(store.db, CHANNEL, time.time(), limit=10):
                    port.write(f"TO {row.recipient}: {row.body}\n".encode())
                    with store.transaction() as db:
                        outbox.mark_done(db, row.id, time.time())


def _ack_routes(config: Config) -> Mapping[str, AckRoute]:
    return {CHANNEL: AckRoute(CHANNEL, lambda sender: bool(sender))}


FEATURE = Feature(
    name=CHANNEL,
    sections={CHANNEL: FakeLineConfig},
    enabled=lambda config: config.section(CHANNEL) is not None,
    worker=FakeLineService,
    ack_routes=_ack_routes,
)
