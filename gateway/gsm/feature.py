"""The GSM modem as a channel: SMS and missed calls in, acknowledgements out by SMS."""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING

from gateway.alerts.phone import can_reply
from gateway.feature import AckRoute, Feature, WorkerArgs
from gateway.gsm.config import CallsConfig, CreditConfig, GsmConfig
from gateway.workers import Worker

if TYPE_CHECKING:
    from gateway.config import Config


def _worker(args: WorkerArgs) -> Worker:
    from gateway.gsm.service import GsmService  # the service needs the whole configuration

    return GsmService(args.config, args.codebook, args.notifier, args.pin_factory)


def _ack_routes(config: Config) -> Mapping[str, AckRoute]:
    """SMS acknowledgements are always queued (they wait for a modem); a missed call is
    answered by SMS too."""
    sms = AckRoute("sms", can_reply)
    return {"sms": sms, "call": sms}


FEATURE = Feature(
    name="gsm",
    sections={"gsm": GsmConfig, "calls": CallsConfig, "credit": CreditConfig},
    enabled=lambda config: config.gsm is not None,
    worker=_worker,
    ack_routes=_ack_routes,
    light="gsm",
)
