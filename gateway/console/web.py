"""What every page shares: the console's state, the signed-in user, the permission and CSRF
checks, rendering in the user's language, and the audit trail."""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from functools import lru_cache, wraps
from pathlib import Path
from typing import Any

import jinja2
from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import HTMLResponse, RedirectResponse, Response
from starlette.templating import Jinja2Templates

from gateway.alerts.codes import CodeBook
from gateway.config import Config
from gateway.console.live import AlertWatch
from gateway.console.roles import allowed
from gateway.console.sessions import LoginLimiter, Session, Sessions, csrf_matches
from gateway.console.strings import translator
from gateway.liveness import daemon_running
from gateway.outreach.config import outreach_settings
from gateway.outreach.templates import Book, load_book
from gateway.store import Store, users
from gateway.store import audit as audit_store
from gateway.timeutil import local_zone

log = logging.getLogger("gateway.console")

Endpoint = Callable[[Request], Awaitable[Response]]
CSRF_FIELD, CSRF_HEADER = "csrf", "x-csrf-token"
SAFE_METHODS = ("GET", "HEAD")


@dataclass
class Console:
    """The running console: one store connection for the pages (used on the event loop),
    the alert watch, the sessions and the login limiter."""

    config: Config
    store: Store
    codebook: CodeBook
    sessions: Sessions
    logins: LoginLimiter
    watch: AlertWatch
    templates: Jinja2Templates
    nav: list[Any]  # the pages with a navigation entry (gateway.console.pages.Page)

    @property
    def cookie(self) -> str:
        # __Host- cookies must be Secure, come from this host only and cover the whole site
        return "__Host-cangw" if self.config.console.tls else "cangw"

    def daemon_up(self) -> bool:
        return daemon_running(self.config.store.path)

    def home(self, role: str) -> str:
        """The first page a role sees: the feed for officers and admins, health for
        technicians, the CAP feed for partners."""
        return {"technician": "/health", "partner": "/feed.atom"}.get(role, "/feed")


def console_of(request: Request) -> Console:
    return request.app.state.console


def session_of(request: Request, touch: bool = True) -> Session | None:
    console = console_of(request)
    return console.sessions.get(request.cookies.get(console.cookie), touch)


def user_of(console: Console, session: Session | None) -> users.User | None:
    """The session's user as the store has them now: removed, or a password changed since the
    login, ends the session."""
    if session is None or session.user_id is None:
        return None
    user = users.by_id(console.store.db, session.user_id)
    if user is None or user.changed_at != session.user_changed_at:
        console.sessions.end(session.token)
        return None
    return user


def page(permission: str | None, touch: bool = True) -> Callable[[Endpoint], Endpoint]:
    """An endpoint for signed-in users with `permission` (None: any role). Any other method
    than GET needs the session's CSRF token (form field `csrf` or header X-CSRF-Token)."""

    def decorate(endpoint: Endpoint) -> Endpoint:
        @wraps(endpoint)
        async def guarded(request: Request) -> Response:
            console = console_of(request)
            session = session_of(request, touch)
            user = user_of(console, session)
            if user is None:
                if request.method in SAFE_METHODS and "text/html" in request.headers.get("accept", ""):
                    return RedirectResponse(f"/login?next={request.url.path}", 303)
                return Response("log in first", 401)
            request.state.user, request.state.session = user, session
            if permission is not None and not allowed(user.role, permission):
                audit(request, "refused", request.url.path)
                return await refuse(request, 403, "error.forbidden")
            if request.method not in SAFE_METHODS and not await csrf_ok(request, session):
                audit(request, "refused", f"{request.url.path} (no CSRF token)")
                return await refuse(request, 403, "error.csrf")
            return await endpoint(request)

        return guarded

    return decorate


async def csrf_ok(request: Request, session: Session | None) -> bool:
    offered = request.headers.get(CSRF_HEADER)
    if offered is None and "form" in request.headers.get("content-type", ""):
        field = (await request.form()).get(CSRF_FIELD)
        offered = field if isinstance(field, str) else None
    return csrf_matches(session, offered)


async def refuse(request: Request, status: int, message: str) -> Response:
    return render(request, "error.html", {"message": message}, status)


def language_of(request: Request) -> str:
    user = getattr(request.state, "user", None)
    if user is not None:
        return user.language
    wanted = request.headers.get("accept-language", "").lower()
    return "en" if wanted.startswith("en") else "fr"


def helpers(request: Request) -> dict[str, Any]:
    """What any template needs for the signed-in user: their language's strings, the CSRF
    token, what they may do, and times in the base's zone."""
    console = console_of(request)
    user = getattr(request.state, "user", None)
    session = getattr(request.state, "session", None)
    language = language_of(request)
    zone = local_zone(console.config.base.timezone)
    return {"user": user, "lang": language, "t": translator(language),
            "csrf": session.csrf if session else "",
            "may": (lambda permission: user is not None and allowed(user.role, permission)),
            "when": lambda epoch: _when(epoch, zone)}


def render(request: Request, template: str, context: dict[str, Any] | None = None,
           status: int = 200) -> HTMLResponse:
    console = console_of(request)
    user = getattr(request.state, "user", None)
    values = helpers(request) | {
        "request": request, "base": console.config.base, "daemon_up": console.daemon_up(),
        "nav": [p for p in console.nav if user and allowed(user.role, p.permission)]}
    return console.templates.TemplateResponse(request, template, values | (context or {}),
                                              status_code=status)


def _when(epoch: float | None, zone: dt.tzinfo) -> str:
    if epoch is None:
        return "-"
    moment = dt.datetime.fromtimestamp(epoch, zone)
    today = dt.datetime.now(zone).date()
    return moment.strftime("%H:%M:%S" if moment.date() == today else "%Y-%m-%d %H:%M")


def audit(request: Request, action: str, target: str | None = None,
          detail: str | None = None, user: str | None = None) -> None:
    """Record an action in the audit table: who (the signed-in user unless given), what, on
    which record (ids and references, never a focal point's number or name), from where."""
    signed_in = getattr(request.state, "user", None)
    who = user or (signed_in.name if signed_in else None)
    address = request.client.host if request.client else None
    audit_store.record(console_of(request).store, who, action, target, detail, address)


class TooManyFailures(Exception):
    """The login limiter checks no more passwords for this name or address for now."""


async def verify(request: Request, name: str, password: str) -> users.User | None:
    """The user `name` if `password` is theirs, checked as every password is at the console
    (a login, the wipe's second asking, a partner's feed reader): refused unchecked past the
    login limit (TooManyFailures), as slow for an unknown name as for a wrong password, and a
    failure counted against the name and the address."""
    console = console_of(request)
    address = request.client.host if request.client else "?"
    if console.logins.blocked(name, address):
        raise TooManyFailures
    stored = users.password_hash(console.store.db, name)
    right = await run_in_threadpool(users.password_matches, password,
                                    stored or users.dummy_hash())
    user = users.find(console.store.db, name) if right and stored else None
    if user is None:
        console.logins.failed(name, address)
    else:
        console.logins.succeeded(name)
    return user


def safe_next(target: str | None) -> str:
    """A redirect target inside the console only (never another site)."""
    if target and target.startswith("/") and not target.startswith("//") and "\\" not in target:
        return target
    return "/"


def outreach_book(console: Console) -> Book:
    """The book of broadcast templates and follow-ups (`[outreach] templates`), read once."""
    return _book(outreach_settings(console.config).templates)


@lru_cache(maxsize=2)
def _book(path: Path | None) -> Book:
    return load_book(path)


def templates() -> Jinja2Templates:
    env = jinja2.Environment(loader=jinja2.PackageLoader("gateway.console", "templates"),
                             autoescape=True, trim_blocks=True, lstrip_blocks=True)
    return Jinja2Templates(env=env)
