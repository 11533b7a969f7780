"""What a channel or an uplink declares about itself, once.

`gateway/features.py` lists the declarations; the configuration (its sections), the daemon
(which workers to start, in which order), the pipeline (how senders are answered, which uplinks
carry an alert and when), the panel (its lights) and the satellite fallback read them there. A
new channel or uplink is a package with a `feature.py` and one line in that list.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from gpiozero.pins import Factory

    from gateway.alerts.codes import CodeBook
    from gateway.config import Config
    from gateway.workers import Notifier, Worker


@dataclass(frozen=True)
class AckRoute:
    """How a channel's senders are answered: the outbox destination, which senders can be
    answered there, and the alphabet the acknowledgement is written in."""

    destination: str
    can_reply: Callable[[str | None], bool]
    adapt: Callable[[str], str] = lambda text: text


@dataclass(frozen=True)
class Uplink:
    """An outbox destination that carries alerts to headquarters.

    `delay(config, severity)` is how long an alert waits before it may leave this way (None:
    never). A fallback uplink's rows are settled without sending once a primary uplink has
    delivered the alert."""

    destination: str
    delay: Callable[[Config, str], float | None]
    fallback: bool = False


@dataclass(frozen=True)
class WorkerArgs:
    """What every worker is built from (kept, so a dead worker is rebuilt the same way)."""

    config: Config
    codebook: CodeBook
    notifier: Notifier
    pin_factory: Factory | None = None


def _no_routes(config: Config) -> Mapping[str, AckRoute]:
    return {}


@dataclass(frozen=True)
class Feature:
    """A link of the gateway: its config sections, its worker, and what it offers the rest.

    `name` is the worker's name and its row in link_status; `enabled` says whether the
    configuration asks for its worker; `light` is the panel LED that shows its state."""

    name: str
    sections: Mapping[str, type[Any]]
    enabled: Callable[[Config], bool]
    worker: Callable[[WorkerArgs], Worker]
    ack_routes: Callable[[Config], Mapping[str, AckRoute]] = _no_routes
    uplink: Uplink | None = None
    light: str | None = None
