"""Villages that two bases both cover, and the alerts about them seen together.

Each base numbers its own villages, so headquarters matches places across bases: two villages
are one place when their names agree (ignoring case, accents and punctuation; alternative names
count) or when both have coordinates less than SAME_PLACE_KM apart. Headquarters knows a base's
villages from its village list (`villages` in hq.toml's `[[base]]`); without one, a base's
alerts are matched by the village name they carry.
"""

from __future__ import annotations

import logging
import math
import re
import sqlite3
import unicodedata
from dataclasses import dataclass

from gateway.hq.config import HqConfig
from gateway.hq.views import ALERT_COLUMNS, AlertView, alert_views
from gateway.model import Village
from gateway.store.registry import ImportReport, read_villages

log = logging.getLogger(__name__)

SAME_PLACE_KM = 2.0
EARTH_KM = 6371.0


def name_key(name: str) -> str:
    """`Kasindi-Port` and `kasindi port` alike."""
    plain = unicodedata.normalize("NFKD", name).encode("ascii", "ignore").decode("ascii")
    return re.sub(r"[^a-z0-9]+", " ", plain.casefold()).strip()


def distance_km(a: Village, b: Village) -> float:
    assert a.lat is not None and a.lon is not None and b.lat is not None and b.lon is not None
    la1, la2, dlat, dlon = map(math.radians, (a.lat, b.lat, b.lat - a.lat, b.lon - a.lon))
    h = math.sin(dlat / 2) ** 2 + math.cos(la1) * math.cos(la2) * math.sin(dlon / 2) ** 2
    return 2 * EARTH_KM * math.asin(math.sqrt(h))


def load_villages(config: HqConfig) -> dict[str, dict[int, Village]]:
    """Each base's village list from hq.toml (`villages`), by number; bad rows are logged."""
    villages = {}
    for base in config.bases:
        if base.villages is not None:
            report = ImportReport()
            villages[base.id] = {v.number: v for v in read_villages(base.villages, report)}
            for line, error in report.errors:
                log.warning("%s line %d: %s", base.villages, line, error)
    return villages


@dataclass(frozen=True)
class SharedPlace:
    name: str  # every base's name for it, "Kamango / Kamangu"
    bases: tuple[str, ...]  # the bases that cover it (by their lists, or by their alerts)
    alerts: tuple[AlertView, ...]  # newest first


class PlaceIndex:
    """Which (base, village number) entries are one place."""

    def __init__(self, villages: dict[str, list[Village]]):
        self._parent: dict[tuple[str, int], tuple[str, int]] = {}
        self._by_name: dict[str, tuple[str, int]] = {}
        self.names: dict[tuple[str, int], str] = {}
        entries = [(base, village) for base, listed in sorted(villages.items()) for village in listed]
        for base, village in entries:
            entry = (base, village.number)
            self._parent[entry] = entry
            self.names[entry] = village.name
            for name in (village.name, *village.alt_names):
                key = name_key(name)
                if key in self._by_name:
                    self._join(entry, self._by_name[key])
                self._by_name.setdefault(key, entry)
        placed = [(b, v) for b, v in entries if v.lat is not None and v.lon is not None]
        for index, (base, village) in enumerate(placed):
            for other_base, other in placed[index + 1:]:
                if distance_km(village, other) < SAME_PLACE_KM:
                    self._join((base, village.number), (other_base, other.number))

    @classmethod
    def from_config(cls, config: HqConfig) -> PlaceIndex:
        return cls({base: list(listed.values()) for base, listed in load_villages(config).items()})

    def _root(self, entry: tuple[str, int]) -> tuple[str, int]:
        while self._parent[entry] != entry:
            entry = self._parent[entry]
        return entry

    def _join(self, a: tuple[str, int], b: tuple[str, int]) -> None:
        self._parent[self._root(a)] = self._root(b)

    def place(self, base: str, number: int | None, name: str | None) -> tuple[str, int] | str | None:
        """The place an alert's village is: an entry of the lists, or its name's key."""
        if number is not None and (base, number) in self._parent:
            return self._root((base, number))
        if name:
            key = name_key(name)
            return self._root(self._by_name[key]) if key in self._by_name else key
        return None

    def entries(self, place: tuple[str, int] | str) -> list[tuple[str, int]]:
        """The (base, village number) entries of the lists that are the place."""
        return sorted(entry for entry in self._parent if self._root(entry) == place)


def shared_village_alerts(conn: sqlite3.Connection, index: PlaceIndex, since: float,
                          limit: int = 2000) -> list[SharedPlace]:
    """Alerts since `since` about places two or more bases cover, grouped by place, the place
    with the latest alert first."""
    rows = conn.execute(f"SELECT {ALERT_COLUMNS} FROM hq_alerts WHERE received_at >= ? AND"
                        " (village_number IS NOT NULL OR village_name IS NOT NULL)"
                        " ORDER BY received_at DESC LIMIT ?", [since, limit])
    groups: dict[tuple[str, int] | str, list[AlertView]] = {}
    for alert in alert_views(rows):
        place = index.place(alert.base, alert.village_number, alert.village_name)
        if place is not None:
            groups.setdefault(place, []).append(alert)
    shared = []
    for place, alerts in groups.items():
        entries = index.entries(place)
        covering = {base for base, _ in entries} | {alert.base for alert in alerts}
        if len(covering) >= 2:
            names = [index.names[entry] for entry in entries] or [
                alert.village_name for alert in alerts if alert.village_name]
            shared.append(SharedPlace(" / ".join(dict.fromkeys(names)), tuple(sorted(covering)),
                                      tuple(alerts)))
    return shared
