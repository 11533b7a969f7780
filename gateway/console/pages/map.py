"""The map: villages at their registered coordinates, coloured by their most severe open
incident, silent ones marked (a silence the watch opened, or nobody heard for `silent_days`),
each a link to its incidents; on a plain background or an offline tile file, never an online
tile server."""

from __future__ import annotations

import time

from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from gateway.alerts.pipeline import PRIORITY
from gateway.console.pages import Page
from gateway.console.web import console_of, page, render
from gateway.store import incidents as incident_store
from gateway.store import registry as reg
from gateway.store import silences
from gateway.triage.report import silent_villages


@page("map")
async def show(request: Request) -> Response:
    console = console_of(request)
    return render(request, "map.html", {"tiles": request.app.state.tiles is not None,
                                        "hours": console.config.console.recent_hours,
                                        "silent_legend": True, "silent_label": "map.silent",
                                        "quiet_label": "map.no_incident"})


@page("map")
async def villages(request: Request) -> Response:
    """The villages with coordinates, each with its most severe open incident, how many are
    open, and whether it is silent."""
    console = console_of(request)
    db = console.store.db
    counts = incident_store.open_by_village(db)
    silent = silent_villages(db, console.config, time.time()) | {
        s.subject for s in silences.open_silences(db) if s.kind == silences.VILLAGE}
    points = []
    for village in reg.villages(console.store):
        if village.lat is None or village.lon is None:
            continue
        seen = counts.get(village.number, {})
        worst = min(seen, key=lambda s: (PRIORITY.get(s, 9), s)) if seen else None
        points.append({"number": village.number, "name": village.name, "lat": village.lat,
                       "lon": village.lon, "severity": worst, "incidents": sum(seen.values()),
                       "silent": village.number in silent,
                       "href": f"/incidents?village={village.number}"})
    return JSONResponse(points, headers={"Cache-Control": "no-store"})


@page("map")
async def tile(request: Request) -> Response:
    source = request.app.state.tiles
    z, x, y = (request.path_params[k] for k in ("z", "x", "y"))
    data = source.tile(z, x, y) if source is not None and 0 <= x < 1 << z and 0 <= y < 1 << z \
        else None
    if data is None:
        return Response(status_code=404)
    return Response(data, media_type=source.media_type,
                    headers={"Cache-Control": "private, max-age=86400"})


PAGE = Page("map", "/map", "map", [
    Route("/map", show),
    Route("/map/villages.json", villages),
    Route("/map/tiles/{z:int}/{x:int}/{y:int}", tile),
])
