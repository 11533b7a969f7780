"""`[console]`: where the console listens, its TLS files, how long an idle session lasts, and
an optional offline map tile file."""

from __future__ import annotations

import ipaddress
from dataclasses import dataclass
from pathlib import Path


@dataclass(frozen=True)
class ConsoleConfig:
    bind: str = "127.0.0.1"  # the base's LAN address (or 0.0.0.0) to reach it from a phone
    port: int = 8080
    tls_cert: Path | None = None
    tls_key: Path | None = None
    idle_minutes: int = 30
    tiles: Path | None = None  # an offline raster map: .mbtiles or .pmtiles
    recent_hours: int = 24  # the map colours villages by their alerts of this many hours

    def check(self) -> list[tuple[str, str]]:
        problems = []
        try:
            ipaddress.ip_address(self.bind)
        except ValueError:
            problems.append(("bind", "an IP address such as '127.0.0.1' or '192.168.4.1'"))
        if not 1 <= self.port <= 65535:
            problems.append(("port", "a TCP port (1 to 65535)"))
        if (self.tls_cert is None) != (self.tls_key is None):
            problems.append(("tls_cert", "tls_cert and tls_key together (or neither)"))
        if not 1 <= self.idle_minutes <= 24 * 60:
            problems.append(("idle_minutes", "1 to 1440 minutes"))
        if self.tiles is not None and self.tiles.suffix not in (".mbtiles", ".pmtiles"):
            problems.append(("tiles", "a .mbtiles or .pmtiles file"))
        if not 1 <= self.recent_hours <= 24 * 30:
            problems.append(("recent_hours", "1 to 720 hours"))
        return problems

    @property
    def tls(self) -> bool:
        return self.tls_cert is not None

    @property
    def url(self) -> str:
        host = f"[{self.bind}]" if ":" in self.bind else self.bind
        return f"{'https' if self.tls else 'http'}://{host}:{self.port}/"
