"""Logging in and out, and the user's language."""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import RedirectResponse, Response
from starlette.routing import Route

from gateway.console.pages import Page
from gateway.console.sessions import Session, csrf_matches
from gateway.console.web import (
    CSRF_FIELD,
    TooManyFailures,
    audit,
    console_of,
    log,
    page,
    render,
    safe_next,
    session_of,
    user_of,
    verify,
)
from gateway.store import users


async def login_form(request: Request) -> Response:
    console = console_of(request)
    session = session_of(request)
    if user_of(console, session) is not None:
        return RedirectResponse("/", 303)
    session = session or console.sessions.new()
    return _with_cookie(request, render(request, "login.html", {
        "login_csrf": session.csrf, "next": safe_next(request.query_params.get("next"))}),
        session)


async def login(request: Request) -> Response:
    console = console_of(request)
    form = await request.form()
    name = str(form.get("name", "")).strip().lower()
    password = str(form.get("password", ""))
    target = safe_next(str(form.get("next", "/")))
    address = request.client.host if request.client else "?"
    session = session_of(request)
    if not csrf_matches(session, str(form.get(CSRF_FIELD, ""))):
        audit(request, "login refused", detail="no CSRF token", user=name or None)
        return await _again(request, "error.csrf", 403)
    try:
        user = await verify(request, name, password)
    except TooManyFailures:
        log.warning("login refused from %s: too many failures", address)
        audit(request, "login refused", detail="too many failures", user=name or None)
        return await _again(request, "login.too_many", 429)
    if user is None:
        log.info("login failed from %s", address)
        audit(request, "login failed", user=name or None)
        return await _again(request, "login.wrong", 401)
    console.sessions.end(session.token if session else None)  # a new token: no fixation
    fresh = console.sessions.new(user.id, user.changed_at)
    request.state.user = user
    log.info("login: user #%d from %s", user.id, address)
    audit(request, "login")
    return _with_cookie(request, RedirectResponse(target, 303), fresh)


async def _again(request: Request, message: str, status: int) -> Response:
    console = console_of(request)
    session = session_of(request) or console.sessions.new()
    return _with_cookie(request, render(request, "login.html", {
        "login_csrf": session.csrf, "error": message, "next": "/"}, status), session)


@page(None)
async def logout(request: Request) -> Response:
    audit(request, "logout")
    console = console_of(request)
    console.sessions.end(request.state.session.token)
    response = RedirectResponse("/login", 303)
    response.delete_cookie(console.cookie, path="/", secure=console.config.console.tls,
                           httponly=True, samesite="strict")
    return response


@page(None)
async def language(request: Request) -> Response:
    form = await request.form()
    chosen = str(form.get("language", ""))
    try:
        users.set_language(console_of(request).store, request.state.user.id, chosen)
    except ValueError:
        return Response("unknown language", 400)
    audit(request, "language", detail=chosen)
    return RedirectResponse(safe_next(str(form.get("next", "/"))), 303)


def _with_cookie(request: Request, response: Response, session: Session) -> Response:
    console = console_of(request)
    response.set_cookie(console.cookie, session.token, path="/", httponly=True,
                        samesite="strict", secure=console.config.console.tls)
    return response


async def home(request: Request) -> Response:
    """The first page the user's role may see (Console.home)."""
    console = console_of(request)
    user = user_of(console, session_of(request, touch=False))
    if user is None:
        return RedirectResponse("/login", 303)
    return RedirectResponse(console.home(user.role), 303)


PAGE = Page("account", None, "health", [
    Route("/", home),
    Route("/login", login_form, methods=["GET"]),
    Route("/login", login, methods=["POST"]),
    Route("/logout", logout, methods=["POST"]),
    Route("/language", language, methods=["POST"]),
])
