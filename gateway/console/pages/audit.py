"""The audit trail (admins): who did what at the console, newest first, a page at a time."""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from gateway.console.pages import Page
from gateway.console.web import console_of, page, render
from gateway.store import audit as audit_store

PAGE_SIZE = 100


@page("audit")
async def show(request: Request) -> Response:
    before = request.query_params.get("before", "")
    entries = audit_store.entries(console_of(request).store.db, PAGE_SIZE,
                                  int(before) if before.isdigit() else None)
    return render(request, "audit.html", {
        "entries": entries, "older": entries[-1].id if len(entries) == PAGE_SIZE else None})


PAGE = Page("audit", "/audit", "audit", [Route("/audit", show)])
