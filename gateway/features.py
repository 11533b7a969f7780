"""Every link of the gateway, declared once, in the order the daemon starts them (and stops
them: receiving first, the uplinks last). Adding a channel or an uplink is one line here."""

from __future__ import annotations

from typing import TYPE_CHECKING

from gateway.feature import AckRoute, Feature, Uplink
from gateway.gsm.feature import FEATURE as GSM
from gateway.hf.feature import FEATURE as HF
from gateway.mqtt.feature import FEATURE as MQTT
from gateway.outreach.feature import FEATURE as OUTREACH
from gateway.panel.feature import FEATURE as PANEL
from gateway.sbd.feature import FEATURE as SBD
from gateway.triage.feature import FEATURE as WATCH

if TYPE_CHECKING:
    from gateway.config import Config

FEATURES: tuple[Feature, ...] = (GSM, HF, PANEL, WATCH, OUTREACH, SBD, MQTT)


def sections() -> dict[str, type]:
    """The optional config sections, by name."""
    return {name: kind for feature in FEATURES for name, kind in feature.sections.items()}


def uplinks() -> list[Uplink]:
    return [feature.uplink for feature in FEATURES if feature.uplink is not None]


def primary_destinations() -> list[str]:
    """Uplinks whose delivery settles the fallbacks."""
    return [uplink.destination for uplink in uplinks() if not uplink.fallback]


def fallback_destinations() -> list[str]:
    return [uplink.destination for uplink in uplinks() if uplink.fallback]


def longest_delay(config: Config, severities: tuple[str, ...]) -> float:
    """The longest an alert of any of these severities waits for an uplink (0: none waits)."""
    delays = (uplink.delay(config, severity) for uplink in uplinks() for severity in severities)
    return max((delay for delay in delays if delay is not None), default=0.0)


def ack_routes(config: Config) -> dict[str, AckRoute]:
    """How each channel's senders are answered, by channel."""
    routes: dict[str, AckRoute] = {}
    for feature in FEATURES:
        routes.update(feature.ack_routes(config))
    return routes


def lights() -> dict[str, str]:
    """Panel LEDs that show one link's state: LED name -> link name."""
    return {feature.light: feature.name for feature in FEATURES if feature.light is not None}
