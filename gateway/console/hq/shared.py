"""Alerts from villages that two or more bases both cover, seen together: the same place
under each base's name and number (places.py matches them by name or by distance), with
every base's alerts about it, newest first, refreshed live."""

from __future__ import annotations

import time

from starlette.requests import Request

from gateway.console.hq.app import hq_of
from gateway.console.hq.incidents import alert_row
from gateway.console.hq.live import live_page
from gateway.hq.places import shared_village_alerts

HOURS = (24, 72, 168)  # the periods one may choose


def _context(request: Request) -> dict:
    console = hq_of(request)
    asked = request.query_params.get("hours", "")
    hours = int(asked) if asked.isdigit() and int(asked) in HOURS else HOURS[0]
    language = request.state.user.language
    places = shared_village_alerts(console.conn, console.places, time.time() - hours * 3600)
    return {"places": [(place, [alert_row(console, alert, language) for alert in place.alerts])
                       for place in places],
            "hours": hours, "choices": HOURS,
            "panel": f"/shared/panel?hours={hours}"}


PAGE = live_page("hq_shared", "/shared", "feed", "hq_shared", _context)
