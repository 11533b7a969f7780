"""Every base's villages on one map (from each base's village list in hq.toml), coloured by
their most severe alert of the last `[console] recent_hours`, with the villages of a silent
base marked: the base console's map page and script, fed by headquarters' store."""

from __future__ import annotations

import time

from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from gateway.alerts.pipeline import PRIORITY
from gateway.console.hq.app import hq_of
from gateway.console.pages import Page
from gateway.console.pages import map as base_map
from gateway.console.web import page, render
from gateway.hq import views


@page("map")
async def show(request: Request) -> Response:
    console = hq_of(request)
    return render(request, "map.html", {
        "tiles": request.app.state.tiles is not None, "hours": console.config.console.recent_hours,
        "points": "/map/places.json", "hint": "hq_map.hint", "silent_legend": True})


@page("map")
async def places(request: Request) -> Response:
    """Each base's villages with coordinates: the base, the most severe recent alert, the
    count, whether the base is silent, and the link to its alerts."""
    console = hq_of(request)
    now = time.time()
    counts = views.village_severities(console.conn, now - console.config.console.recent_hours * 3600)
    silent = {base.id for base in views.bases(console.conn, console.villages, now,
                                              console.silent_after, watching_since=0.0)
              if base.liveness != "online"}
    points = []
    for base, villages in sorted(console.villages.items()):
        for village in villages.values():
            if village.lat is None or village.lon is None:
                continue
            seen = counts.get((base, village.number), {})
            worst = min(seen, key=lambda s: (PRIORITY.get(s, 9), s)) if seen else None
            points.append({"base": base, "number": village.number, "lat": village.lat,
                           "lon": village.lon, "name": f"{village.name} ({base})",
                           "severity": worst, "alerts": sum(seen.values()),
                           "silent": base in silent,
                           "href": f"/incidents?base={base}&village={village.number}"})
    return JSONResponse(points, headers={"Cache-Control": "no-store"})


PAGE = Page("hq_map", "/map", "map", [
    Route("/map", show),
    Route("/map/places.json", places),
    Route("/map/tiles/{z:int}/{x:int}/{y:int}", base_map.tile),
])
