"""The network: the silence watch (who missed a check-in and has not been heard since) and the
coverage report (per village and zone: focal points, women, youth, active ones; villages with
no active focal point, silent ones): what `cangw network silent` and `cangw network report`
print. Focal points are named only for those who may see names."""

from __future__ import annotations

import time

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from gateway.console.pages import Page
from gateway.console.roles import allowed
from gateway.console.web import console_of, page, render
from gateway.triage.report import network_report, silent_now


@page("network")
async def show(request: Request) -> Response:
    console = console_of(request)
    names = allowed(request.state.user.role, "network.names")
    report = network_report(console.store.db, console.config, time.time())
    villages = {v["number"]: v["name"] for v in report["villages"]}
    return render(request, "network.html", {
        "silent": silent_now(console.store, names), "report": report,
        "without_active": [villages[n] for n in report["without_active_focal_point"]],
        "silent_villages": [villages[n] for n in report["silent"]]})


PAGE = Page("network", "/network", "network", [Route("/network", show)])
