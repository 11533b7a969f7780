"""The silence watch and the daily network figures run in the daemon as a worker of their own
(the `[triage]` section is the frame's: grouping happens in the pipeline, with or without it)."""

from __future__ import annotations

from gateway.feature import Feature, WorkerArgs
from gateway.workers import Worker


def _worker(args: WorkerArgs) -> Worker:
    from gateway.triage.service import WatchService  # the service needs the whole configuration

    return WatchService(args.config, args.codebook, args.notifier)


FEATURE = Feature(name="watch", sections={}, enabled=lambda config: True, worker=_worker)
