"""The emergency wipe from the console (admins only): the administrator's password asked again
and checked here, the base id typed, then `gateway.wipe.wipe(config, "console")`.

A stolen session is not enough: the password is checked on the server against the store, and
wrong answers count towards the login limit of that user. The wipe is audited before the key
goes, but that row goes with the store, so one log line (the user's number, never a name) says
it too. Then the console stops serving data (wiped.py); a running daemon notices the journal
and finishes (the SIM, headquarters told), otherwise the console finishes in a thread of its
own, as `cangw wipe` would, and the page follows the journal until the end.
"""

from __future__ import annotations

import logging
import threading

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from gateway import wipe as emergency
from gateway.config import Config
from gateway.console.pages import Page
from gateway.console.web import TooManyFailures, audit, console_of, page, render, verify
from gateway.console.wiped import stop_serving, wiped_page
from gateway.errors import GatewayError

log = logging.getLogger("gateway.console")


def _form(request: Request, error: str | None = None, status: int = 200) -> Response:
    return render(request, "wipe.html", {"error": error}, status)


@page("wipe")
async def form(request: Request) -> Response:
    return _form(request)


@page("wipe")
async def confirm(request: Request) -> Response:
    console = console_of(request)
    config = console.config
    user = request.state.user
    fields = await request.form()
    address = request.client.host if request.client else "?"
    try:
        confirmed = await verify(request, user.name, str(fields.get("password", "")))
    except TooManyFailures:
        audit(request, "wipe refused", detail="too many failures")
        return _form(request, "login.too_many", 429)
    if confirmed is None or confirmed.id != user.id:
        log.warning("wipe refused: user #%d from %s gave a wrong password", user.id, address)
        audit(request, "wipe refused", detail="wrong password")
        return _form(request, "wipe.wrong_password", 403)
    if str(fields.get("base_id", "")).strip().upper() != config.base.id:
        audit(request, "wipe refused", detail="wrong base id")
        return _form(request, "wipe.wrong_base", 400)
    audit(request, "wipe", config.base.id)
    log.warning("emergency wipe of base %s asked at the console by user #%d from %s",
                config.base.id, user.id, address)
    try:
        emergency.wipe(config, "console")
    except (GatewayError, OSError) as exc:  # after the journal, the next start finishes it
        log.error("the wipe failed: %s", exc)
    if not emergency.wiped(config):
        return _form(request, "wipe.failed", 500)
    stop_serving(console)
    if not emergency.daemon_running(config.store.path):
        threading.Thread(target=_finish, args=(config,), name="wipe-finish").start()
    return wiped_page(request, config, 200)


def _finish(config: Config) -> None:
    """The steps a daemon would have done (SIM, headquarters told), with no daemon running."""
    try:
        emergency.finish(config)
    except (GatewayError, OSError) as exc:
        log.error("the wipe could not be finished here: %s (the daemon's next start "
                  "finishes it)", exc)


PAGE = Page("wipe", "/admin/wipe", "wipe", [
    Route("/admin/wipe", form, methods=["GET"]),
    Route("/admin/wipe", confirm, methods=["POST"]),
])
