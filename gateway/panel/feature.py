"""The alarm panel: lights, buzzer and button on the Pi's GPIO pins."""

from __future__ import annotations

from gateway.feature import Feature, WorkerArgs
from gateway.panel.config import PanelConfig
from gateway.workers import Worker


def _worker(args: WorkerArgs) -> Worker:
    from gateway.panel.service import PanelService  # the service needs the whole configuration

    return PanelService(args.config, args.codebook, args.notifier, args.pin_factory)


FEATURE = Feature(
    name="panel",
    sections={"panel": PanelConfig},
    enabled=lambda config: config.panel is not None and bool(config.panel.pins()),
    worker=_worker,
)
