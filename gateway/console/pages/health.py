"""The gateway's health, as `cangw status` shows it (gateway/status.py), refreshed live, and
whether the daemon runs at all: the console shows what is stored even when it does not."""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from gateway.console.pages import Page
from gateway.console.web import console_of, page, render
from gateway.status import collect, link_details


def _context(request: Request) -> dict:
    console = console_of(request)
    report = collect(console.store, console.config)
    return {"report": report,
            "links": {name: link_details(info) for name, info in report["links"].items()},
            "listeners": console.watch.listeners}


@page("health")
async def health(request: Request) -> Response:
    return render(request, "health.html", _context(request))


@page("health")
async def panel(request: Request) -> Response:
    """The part of the page that refreshes itself every few seconds."""
    return render(request, "_health.html", _context(request))


PAGE = Page("health", "/health", "health", [
    Route("/health", health),
    Route("/health/panel", panel),
])
