"""The MQTT broker at headquarters: the primary uplink, every alert at once."""

from __future__ import annotations

from typing import TYPE_CHECKING

from gateway.feature import Feature, Uplink, WorkerArgs
from gateway.mqtt.config import MqttConfig
from gateway.workers import Worker

if TYPE_CHECKING:
    from gateway.config import Config


def _worker(args: WorkerArgs) -> Worker:
    from gateway.mqtt.service import MqttService  # the service needs the whole configuration

    return MqttService(args.config, args.codebook, args.notifier)


def _delay(config: Config, severity: str) -> float | None:
    return 0.0 if config.mqtt is not None else None


FEATURE = Feature(
    name="mqtt",
    sections={"mqtt": MqttConfig},
    enabled=lambda config: config.mqtt is not None,
    worker=_worker,
    uplink=Uplink("mqtt", _delay),
)
