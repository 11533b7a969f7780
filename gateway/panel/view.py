"""What the alarm panel should show, read from the store alone.

The panel follows the store rather than the workers: link_status rows for the links, alerts and
alerts_seen for the alarm. So it shows what `cangw status` shows, needs no hooks in the links,
and a link that another branch of the gateway adds (such as `sbd`) appears by its row alone.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from sqlite_utils import Database

from gateway import features
from gateway.panel.config import PanelConfig
from gateway.store import links as link_status
from gateway.store import seen as seen_store
from gateway.store import silences

ON, BLINK, OFF = "on", "blink", "off"
USABLE = "up"  # the link_status state of a link that works


@dataclass(frozen=True)
class PanelView:
    gsm: str = OFF          # on: registered, blink: modem up but no network, off: modem down
    uplink: str = OFF       # on: MQTT connected, blink: only the satellite, off: no uplink
    credit: str = OFF       # on: the SIM's credit is low
    silence: str = OFF      # blink: someone missed a check-in (never the buzzer on its own)
    alert: str = OFF        # blink: an alarm-severity alert is unseen
    buzzer: str | None = None   # the pattern to sound: "Extreme", "Severe" or None
    shown: tuple[int, ...] = ()  # ids of the unseen alerts shown (what a press marks seen)


def read_view(db: Database, panel: PanelConfig, local_now: dt.datetime) -> PanelView:
    links = link_status.all_links(db)
    gsm = links.get(features.lights().get("gsm", ""), {})  # the link that declares this LED
    unseen = seen_store.unseen_alarms(db, panel.alarm_severities())
    severities = {severity for _, severity in unseen}
    pattern = None
    if unseen and not panel.is_silent(local_now):
        pattern = "Extreme" if "Extreme" in severities else "Severe"
    return PanelView(
        gsm={USABLE: ON, "no_network": BLINK}.get(gsm.get("state") or "", OFF),
        uplink=_uplink(links),
        credit=ON if links.get("credit", {}).get("state") == "low" else OFF,
        alert=BLINK if unseen else OFF,
        silence=BLINK if silences.count_open(db) else OFF,
        buzzer=pattern,
        shown=tuple(alert_id for alert_id, _ in unseen),
    )


def _uplink(links: dict[str, dict]) -> str:
    """On while a primary uplink works; blinking while only a fallback does."""
    def usable(destinations: list[str]) -> bool:
        return any(links.get(name, {}).get("state") == USABLE for name in destinations)

    if usable(features.primary_destinations()):
        return ON
    return BLINK if usable(features.fallback_destinations()) else OFF
