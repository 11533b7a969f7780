"""The Iridium SBD modem as a fallback uplink: an alert goes by satellite when MQTT has not
delivered it within its severity's `fallback_after`."""

from __future__ import annotations

from typing import TYPE_CHECKING

from gateway.feature import Feature, Uplink, WorkerArgs
from gateway.sbd.config import SbdConfig
from gateway.workers import Worker

if TYPE_CHECKING:
    from gateway.config import Config


def _worker(args: WorkerArgs) -> Worker:
    from gateway.sbd.service import SbdService  # the service needs the whole configuration

    return SbdService(args.config, args.codebook, args.notifier)


def _delay(config: Config, severity: str) -> float | None:
    return config.sbd.fallback_delay(severity) if config.sbd is not None else None


FEATURE = Feature(
    name="sbd",
    sections={"sbd": SbdConfig},
    enabled=lambda config: config.sbd is not None,
    worker=_worker,
    uplink=Uplink("sbd", _delay, fallback=True),
)
