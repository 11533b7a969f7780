"""Outreach runs in the daemon as a worker of its own (the `[outreach]` section is optional:
its defaults broadcast and send no follow-ups)."""

from __future__ import annotations

from gateway.feature import Feature, WorkerArgs
from gateway.outreach.config import OutreachConfig
from gateway.workers import Worker


def _worker(args: WorkerArgs) -> Worker:
    from gateway.outreach.service import OutreachService  # the service needs the whole config

    return OutreachService(args.config, args.codebook, args.notifier)


FEATURE = Feature(name="outreach", sections={"outreach": OutreachConfig},
                  enabled=lambda config: True, worker=_worker)
