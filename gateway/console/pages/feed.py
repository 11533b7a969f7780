"""The live feed: the newest alerts, filtered, with unparsed reports in their own lane, and
new ones pushed to the open page (server-sent events) as soon as they are committed."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator

from sse_starlette import EventSourceResponse
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from gateway.alerts.codes import SEVERITIES
from gateway.console.pages import Page
from gateway.console.views import alert_views
from gateway.console.web import console_of, helpers, page, render, session_of, user_of
from gateway.store import alerts as alert_store
from gateway.store import registry as reg

PAGE_SIZE, LANE_SIZE = 50, 20
CHANNELS = ("sms", "call", "hf", "voice")
STATES = ("unseen", "seen")
RECHECK = 20.0  # seconds between checks that a streaming session is still valid


def feed_filter(request: Request, lane: str) -> alert_store.FeedFilter:
    """The filters of the query string (unknown values are ignored, not an error)."""
    query = request.query_params
    village = query.get("village", "")
    zone = query.get("zone", "").strip()[:100]
    return alert_store.FeedFilter(
        severity=query.get("severity") if query.get("severity") in (*SEVERITIES, "Unknown")
        else None,
        channel=query.get("channel") if query.get("channel") in CHANNELS else None,
        village=int(village) if village.isdigit() else None,
        state=query.get("state") if query.get("state") in STATES else None,
        lane=lane, zone=zone or None)


def _before(request: Request) -> int | None:
    value = request.query_params.get("before", "")
    return int(value) if value.isdigit() else None


@page("feed")
async def feed(request: Request) -> Response:
    console = console_of(request)
    store, user = console.store, request.state.user
    country = console.config.base.country_code
    reports = alert_store.feed_page(store.db, feed_filter(request, "reports"), _before(request),
                                    PAGE_SIZE)
    lane = feed_filter(request, "unparsed")
    unparsed = [] if lane.excludes_unparsed else \
        alert_store.feed_page(store.db, lane, None, LANE_SIZE)
    query = request.url.query
    return render(request, "feed.html", {
        "alerts": alert_views(store, reports, user, console.codebook, country),
        "lane": alert_views(store, unparsed, user, console.codebook, country),
        "older": reports[-1].id if len(reports) == PAGE_SIZE else None,
        "live": _before(request) is None, "after": alert_store.last_id(store.db),
        "stream": "/feed/stream" + (f"?{query}" if query else ""),
        "filters": request.query_params, "severities": (*SEVERITIES, "Unknown"),
        "channels": CHANNELS, "states": STATES, "villages": reg.villages(store),
        "zones": reg.zones(store)})


@page("feed", touch=False)
async def stream(request: Request) -> Response:
    """New alerts as events `alert` (or `unparsed`), each a row of HTML rendered for this user;
    `expired` when the session ends. Resumes after Last-Event-ID when the browser reconnects."""
    console = console_of(request)
    user = request.state.user
    wanted = feed_filter(request, "all")
    start = request.headers.get("last-event-id") or request.query_params.get("after", "")
    last = int(start) if start.isdigit() else console.watch.last_id
    templates = console.templates.env

    async def events() -> AsyncIterator[dict[str, str]]:
        nonlocal last
        queue = console.watch.subscribe()
        try:
            while True:
                if user_of(console, session_of(request, touch=False)) is None:
                    yield {"event": "expired", "data": ""}
                    return
                upto = console.watch.last_id
                rows = alert_store.newer(console.store.db, last, upto, wanted) if upto > last \
                    else []
                last = max(last, upto)
                views = alert_views(console.store, rows, user, console.codebook,
                                    console.config.base.country_code)
                for view in views:
                    html = templates.get_template("_alert.html").render(
                        alert=view, **helpers(request))
                    yield {"event": "unparsed" if view.unparsed else "alert", "id": str(view.id),
                           "data": html}
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(queue.get(), RECHECK)
        finally:
            console.watch.unsubscribe(queue)

    return EventSourceResponse(events(), ping=15, headers={"Cache-Control": "no-store"})


PAGE = Page("feed", "/feed", "feed", [
    Route("/feed", feed),
    Route("/feed/stream", stream),
])
