"""Which villages count as one place: the same village, or villages within `distance_km` of
each other when both have coordinates. Worked out from the registry and kept until it changes."""

from __future__ import annotations

import math

from gateway.model import Village
from gateway.store import Store
from gateway.store import registry as reg

EARTH_KM = 6371.0


def distance_km(a: Village, b: Village) -> float | None:
    """Great-circle distance, or None when either village has no coordinates."""
    if None in (a.lat, a.lon, b.lat, b.lon):
        return None
    lat1, lon1, lat2, lon2 = map(math.radians, (a.lat, a.lon, b.lat, b.lon))  # type: ignore[arg-type]
    h = math.sin((lat2 - lat1) / 2) ** 2 + \
        math.cos(lat1) * math.cos(lat2) * math.sin((lon2 - lon1) / 2) ** 2
    return 2 * EARTH_KM * math.asin(math.sqrt(h))


class Places:
    def __init__(self, store: Store, distance: float):
        self.store = store
        self.distance = distance
        self._version: str | None = None
        self._villages: dict[int, Village] = {}
        self._near: dict[int, frozenset[int]] = {}

    def near(self, number: int) -> frozenset[int]:
        """The villages one place with `number` (itself included)."""
        version = self.store.meta(reg.REGISTRY_VERSION, "0")
        if version != self._version:
            self._villages = {v.number: v for v in reg.villages(self.store)}
            self._near, self._version = {}, version
        if number not in self._near:
            here = self._villages.get(number)
            close = {number}
            if here is not None and self.distance > 0:
                close |= {other.number for other in self._villages.values()
                          if (d := distance_km(here, other)) is not None and d <= self.distance}
            self._near[number] = frozenset(close)
        return self._near[number]
