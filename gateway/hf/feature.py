"""The HF radio as a channel: radio messages in, acknowledgements out over the air."""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING

from gateway.alerts.text import to_ascii
from gateway.feature import AckRoute, Feature, WorkerArgs
from gateway.hf.callsign import is_station
from gateway.hf.config import HfConfig
from gateway.workers import Worker

if TYPE_CHECKING:
    from gateway.config import Config


def _worker(args: WorkerArgs) -> Worker:
    from gateway.hf.service import HfService  # the service needs the whole configuration

    return HfService(args.config, args.codebook, args.notifier)


def _ack_routes(config: Config) -> Mapping[str, AckRoute]:
    """Radio acknowledgements only when [hf] is configured to answer, in plain ASCII."""
    if config.hf is None or not config.hf.acknowledges:
        return {}
    return {"hf": AckRoute("hf", is_station, to_ascii)}


FEATURE = Feature(
    name="hf",
    sections={"hf": HfConfig},
    enabled=lambda config: config.hf is not None,
    worker=_worker,
    ack_routes=_ack_routes,
)
