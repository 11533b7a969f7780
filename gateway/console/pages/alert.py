"""One alert in full: its text and message, parts, repeats, channel, the acknowledgement and
the deliveries to headquarters, when the base saw it; and the button to mark it seen (the same
path as the panel's button and `cangw alerts seen`)."""

from __future__ import annotations

import time

from starlette.requests import Request
from starlette.responses import RedirectResponse, Response
from starlette.routing import Route

from gateway.alerts.seen import SeenMarker
from gateway.console.pages import Page
from gateway.console.views import AlertView, alert_views
from gateway.console.web import audit, console_of, page, refuse, render
from gateway.store import alerts as alert_store
from gateway.store import inbox, outbox
from gateway.store import seen as seen_store

ACK_DESTINATIONS = ("sms", "hf")


def _alert(request: Request) -> alert_store.AlertRow | None:
    return alert_store.by_ref(console_of(request).store.db, request.path_params["ref"])


def _view(request: Request, alert: alert_store.AlertRow) -> AlertView:
    console = console_of(request)
    return alert_views(console.store, [alert], request.state.user, console.codebook,
                       console.config.base.country_code)[0]


@page("feed")
async def show(request: Request) -> Response:
    console = console_of(request)
    alert = _alert(request)
    if alert is None:
        return await refuse(request, 404, "error.not_found")
    db = console.store.db
    view = _view(request, alert)
    message = inbox.text_and_raw(db, alert.message_id) if alert.message_id else None
    rows = outbox.of_alert(db, alert.id)
    acks = [r for r in rows if r[0] in ACK_DESTINATIONS]
    deliveries = [r for r in rows if r[0] not in ACK_DESTINATIONS]
    return render(request, "alert.html", {
        "alert": view, "message": message[0] if message else None, "acks": acks,
        "deliveries": deliveries, "seen": seen_store.seen(db, alert.id)})


@page("alerts.seen")
async def mark_seen(request: Request) -> Response:
    """Mark seen: recorded, told to headquarters and (if configured) to the sender, audited."""
    console = console_of(request)
    alert = _alert(request)
    if alert is None:
        return await refuse(request, 404, "error.not_found")
    newly = SeenMarker(console.store, console.config).mark([alert], "console", time.time())
    if newly:
        audit(request, "seen", alert.ref)
    if request.headers.get("hx-request"):
        return render(request, "_alert.html", {"alert": _view(request, alert)})
    return RedirectResponse(f"/alerts/{alert.ref}", 303)


PAGE = Page("alert", None, "feed", [
    Route("/alerts/{ref}", show),
    Route("/alerts/{ref}/seen", mark_seen, methods=["POST"]),
])
