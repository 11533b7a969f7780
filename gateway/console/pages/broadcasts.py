"""Broadcasts: compose one (a template or a free text, the languages), choose zones, villages,
groups and a channel, preview the recipients (numbers masked but for admins) and the cost, send
it through the same outreach functions as `cangw broadcast send`, and follow it: recipients by
state, refreshed every few seconds while a message is queued or awaits its status report."""

from __future__ import annotations

import time

from starlette.requests import Request
from starlette.responses import RedirectResponse, Response
from starlette.routing import Route

from gateway.alerts.codes import LANGUAGES
from gateway.console.broadcast_form import Asked, asked, draft, recipient_views
from gateway.console.pages import Page
from gateway.console.roles import allowed
from gateway.console.web import audit, console_of, outreach_book, page, refuse, render
from gateway.outreach import compose
from gateway.outreach.config import outreach_settings
from gateway.outreach.summary import broadcast_state, summary
from gateway.store import broadcasts as broadcast_store
from gateway.store import groups
from gateway.store import registry as reg
from gateway.store.broadcasts import QUEUED, SENT, SETTLED, STATES, BroadcastRow

LIST_SIZE = 30
REFRESH = 2  # seconds between two looks at a broadcast's delivery


def _form(request: Request, wanted: Asked | None = None, seen: compose.Preview | None = None,
          error: str | None = None, status: int = 200) -> Response:
    console = console_of(request)
    book = outreach_book(console)
    user = request.state.user
    recipients = recipient_views(seen, reg.focal_names(console.store),
                                 allowed(user.role, "numbers"),
                                 console.config.base.country_code) if seen else []
    return render(request, "broadcast_new.html", {
        "templates": list(book.templates.values()),
        "params": sorted({p for t in book.templates.values() for p in t.params}),
        "zones": reg.zones(console.store), "villages": reg.villages(console.store),
        "groups": groups.groups(console.store.db), "languages": LANGUAGES,
        "asked": wanted, "preview": seen, "recipients": recipients, "error": error}, status)


@page("broadcast")
async def listing(request: Request) -> Response:
    db = console_of(request).store.db
    rows = [(row, summary(db, row, row.state)) for row in broadcast_store.listing(db, LIST_SIZE)]
    return render(request, "broadcasts.html", {"rows": rows, "states": STATES})


@page("broadcast")
async def new(request: Request) -> Response:
    return _form(request)


@page("broadcast")
async def preview(request: Request) -> Response:
    """Who the broadcast would reach and what it would cost; nothing is sent."""
    console = console_of(request)
    wanted = asked(await request.form(), outreach_book(console))
    try:
        seen = compose.preview(console.store, console.config, draft(outreach_book(console), wanted))
    except ValueError as exc:
        return _form(request, wanted, error=str(exc), status=400)
    return _form(request, wanted, seen)


@page("broadcast.send")
async def send(request: Request) -> Response:
    console = console_of(request)
    user = request.state.user
    wanted = asked(await request.form(), outreach_book(console))
    if wanted.force and not allowed(user.role, "broadcast.force"):
        return await refuse(request, 403, "error.forbidden")
    try:
        row, sent = compose.send(console.store, console.config,
                                 draft(outreach_book(console), wanted), user.name, "console",
                                 force=wanted.force)
    except ValueError as exc:  # BudgetExceeded too: the form again, with the reason
        return _form(request, wanted, error=str(exc), status=400)
    audit(request, "broadcast", row.ref, f"to {row.target} ({sent.recipients} recipients, "
          f"{sent.sms} SMS{', over the budget' if row.forced else ''})")
    return RedirectResponse(f"/broadcasts/{row.ref}", 303)


def _broadcast(request: Request) -> BroadcastRow | None:
    return broadcast_store.by_ref(console_of(request).store.db, request.path_params["ref"])


def _delivery(request: Request, row: BroadcastRow) -> dict:
    """What the delivery panel shows: counts by state, channel and language, each recipient."""
    console = console_of(request)
    db = console.store.db
    counts = broadcast_store.counts(db, row.id)
    state = broadcast_state(counts, row, time.time(),
                            outreach_settings(console.config).reply_window)
    return {"b": row, "figures": summary(db, row, state), "states": STATES,
            "by_language": broadcast_store.counts_by(db, row.id, "language"),
            "recipients": broadcast_store.recipients(db, row.id),
            "live": any(counts[s] for s in (QUEUED, SENT)) and state != SETTLED,
            "refresh": REFRESH}


@page("broadcast")
async def show(request: Request) -> Response:
    """The broadcast's page, or its delivery panel alone (`/delivery`: what the page asks for
    again every few seconds while it lives)."""
    row = _broadcast(request)
    if row is None:
        return await refuse(request, 404, "error.not_found")
    panel = request.url.path.endswith("/delivery")
    return render(request, "_broadcast_delivery.html" if panel else "broadcast.html",
                  _delivery(request, row))


@page("broadcast.send")
async def cancel(request: Request) -> Response:
    """Stop what has not left yet (as `cangw broadcast cancel`)."""
    row = _broadcast(request)
    if row is None:
        return await refuse(request, 404, "error.not_found")
    stopped = compose.cancel(console_of(request).store, row.id)
    audit(request, "broadcast cancelled", row.ref, f"{stopped} not sent")
    return RedirectResponse(f"/broadcasts/{row.ref}", 303)


PAGE = Page("broadcasts", "/broadcasts", "broadcast", [
    Route("/broadcasts", listing),
    Route("/broadcasts/new", new, methods=["GET"]),
    Route("/broadcasts/preview", preview, methods=["POST"]),
    Route("/broadcasts/send", send, methods=["POST"]),
    Route("/broadcasts/{ref}", show),
    Route("/broadcasts/{ref}/delivery", show),
    Route("/broadcasts/{ref}/cancel", cancel, methods=["POST"]),
])
