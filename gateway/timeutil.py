"""Times as the gateway writes and reads them: ISO-8601 UTC for every payload and status, and
the base's local zone for what people read (acknowledgements, the panel's silent hours, the
satellite's daily budget)."""

from __future__ import annotations

import datetime as dt
import zoneinfo


def iso_utc(timestamp: float | None) -> str | None:
    """ISO-8601 UTC with a Z, to the millisecond."""
    if timestamp is None:
        return None
    moment = dt.datetime.fromtimestamp(timestamp, dt.UTC)
    return moment.isoformat(timespec="milliseconds").replace("+00:00", "Z")


def local_zone(name: str) -> dt.tzinfo:
    """The base's time zone (`[base] timezone`, refused when the configuration is read if this
    system does not know it)."""
    return zoneinfo.ZoneInfo(name)


def day_start(now: float, zone: dt.tzinfo) -> float:
    """Midnight of the base's calendar day containing `now`."""
    local = dt.datetime.fromtimestamp(now, zone)
    return local.replace(hour=0, minute=0, second=0, microsecond=0).timestamp()
