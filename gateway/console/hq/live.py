"""Headquarters' pages refresh themselves when the collector commits: every batch it stores
(alerts, incidents, statuses, a base falling silent) is a commit another connection sees in
`PRAGMA data_version`. An open page holds one server-sent event stream (`/hq/stream`) that
says "changed", at most once a second, and its live panels fetch themselves again (hq.js)."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Callable

from sse_starlette import EventSourceResponse
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from gateway.console.live import AlertWatch
from gateway.console.pages import Page
from gateway.console.web import console_of, page, render, session_of, user_of

RECHECK = 20.0  # seconds between checks that a streaming session is still valid
GAP = 1.0  # seconds at least between two "changed" on one stream (the collector's batches)


class ChangeWatch(AlertWatch):
    """Any commit to headquarters' store by another connection is news, numbered in turn."""

    def _max_id(self) -> int:
        return self.last_id + 1


@page("health", touch=False)
async def stream(request: Request) -> Response:
    """`changed` after each commit (the pages fetch what they show again), `expired` when the
    session ends; nothing of the data itself."""
    console = console_of(request)

    async def events() -> AsyncIterator[dict[str, str]]:
        queue = console.watch.subscribe()
        try:
            while True:
                if user_of(console, session_of(request, touch=False)) is None:
                    yield {"event": "expired", "data": ""}
                    return
                try:
                    await asyncio.wait_for(queue.get(), RECHECK)
                except TimeoutError:
                    continue
                yield {"event": "changed", "id": str(console.watch.last_id), "data": ""}
                await asyncio.sleep(GAP)
        finally:
            console.watch.unsubscribe(queue)

    return EventSourceResponse(events(), ping=15, headers={"Cache-Control": "no-store"})


def live_page(name: str, path: str, permission: str, template: str,
              context: Callable[[Request], dict]) -> Page:
    """A page at `path` (template `<template>.html`) whose live part (`_<template>.html`,
    a `.live-panel` element) is served again at `<path>/panel` when hq.js asks."""

    @page(permission)
    async def show(request: Request) -> Response:
        return render(request, f"{template}.html", context(request))

    @page(permission)
    async def panel(request: Request) -> Response:
        return render(request, f"_{template}.html", context(request))

    return Page(name, path, permission, [Route(path, show), Route(f"{path}/panel", panel)])


PAGE = Page("hq_live", None, "health", [Route("/hq/stream", stream)])
