"""The form for an alert heard by voice (HF radio, a phone call, someone at the gate): the
same path as `cangw alerts add`, with the signed-in user as the operator."""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import RedirectResponse, Response
from starlette.routing import Route

from gateway.alerts.voice import VIA, record_voice_alert
from gateway.console.pages import Page
from gateway.console.web import audit, console_of, page, render
from gateway.store import registry as reg


def _form(request: Request, values: dict, error: str | None = None, status: int = 200) -> Response:
    console = console_of(request)
    language = request.state.user.language
    codes = [(c.number, c.label(language), c.severity)
             for c in sorted(console.codebook.codes.values(), key=lambda c: c.number)]
    return render(request, "voice.html", {"codes": codes, "vias": VIA, "values": values,
                                          "villages": reg.villages(console.store),
                                          "error": error}, status)


@page("voice")
async def form(request: Request) -> Response:
    return _form(request, {"via": "radio"})


@page("voice")
async def submit(request: Request) -> Response:
    console = console_of(request)
    values = {k: str(v).strip() for k, v in (await request.form()).items() if k != "csrf"}
    count = values.get("count", "")
    if count and not count.isdigit():
        return _form(request, values, "count: a whole number", 400)
    try:
        alert = record_voice_alert(
            console.store, console.config, console.codebook, values.get("code", ""),
            values.get("village") or None, values.get("note", ""), values.get("via", ""),
            request.state.user.name, int(count) if count else None,
            values.get("sender") or None)
    except ValueError as exc:
        return _form(request, values, str(exc), 400)
    audit(request, "voice alert", alert.ref)
    return RedirectResponse(f"/alerts/{alert.ref}", 303)


PAGE = Page("voice", "/voice", "voice", [
    Route("/voice", form, methods=["GET"]),
    Route("/voice", submit, methods=["POST"]),
])
