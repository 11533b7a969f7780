"""`/feed.atom`: every base's current alerts as OASIS CAP 1.2 messages in one Atom document
(gateway/hq/feed.py), behind a login.

Partners (another organisation's alert hub, a feed reader) get a user of their own with the
`partner` role (`cangw user --hq add NAME --role partner`), which may read this feed and
nothing else. Their software sends it with HTTP Basic authentication, which every feed
reader and `curl -u` speak, over the console's TLS; each fetch is checked as a login is
(scrypt, the same limit of failures per name and per address) and audited. A person signed
in at the console (officer, admin, partner) reads it in the browser with their session.
Why not a token in the URL: it would end up in proxies' and readers' logs and history, and a
user per partner gives the same things (one to revoke, a password to change) with the
console's existing tools.
"""

from __future__ import annotations

import base64
import binascii
import time

from starlette.requests import Request
from starlette.responses import RedirectResponse, Response
from starlette.routing import Route

from gateway.console.hq.app import hq_of
from gateway.console.pages import Page
from gateway.console.roles import allowed
from gateway.console.web import (
    TooManyFailures,
    audit,
    log,
    refuse,
    session_of,
    user_of,
    verify,
)
from gateway.hq.feed import FeedSettings, current_feed
from gateway.store.users import User

ATOM_TYPE = "application/atom+xml; charset=utf-8"
CHALLENGE = {"WWW-Authenticate": 'Basic realm="cangw headquarters CAP feed", charset="UTF-8"'}


def _credentials(request: Request) -> tuple[str, str] | None:
    scheme, _, value = request.headers.get("authorization", "").partition(" ")
    if scheme.lower() != "basic":
        return None
    try:
        name, colon, password = base64.b64decode(value.strip(), validate=True).decode().partition(":")
    except (binascii.Error, UnicodeDecodeError):
        return None
    return (name.strip().lower(), password) if colon else None


async def _reader(request: Request) -> User | Response:
    """The signed-in user, else the one HTTP Basic names; else the answer that asks for it."""
    console = hq_of(request)
    user = user_of(console, session_of(request))
    if user is not None:
        return user
    credentials = _credentials(request)
    if credentials is None:
        if "text/html" in request.headers.get("accept", ""):
            return RedirectResponse(f"/login?next={request.url.path}", 303)
        return Response("log in first (HTTP Basic)", 401, headers=CHALLENGE)
    name, password = credentials
    address = request.client.host if request.client else "?"
    try:
        user = await verify(request, name, password)
    except TooManyFailures:
        audit(request, "login refused", "/feed.atom", "too many failures", user=name or None)
        return Response("too many failed attempts: wait 15 minutes", 429)
    if user is None:
        log.info("feed login failed from %s", address)
        audit(request, "login failed", "/feed.atom", user=name or None)
        return Response("wrong user name or password", 401, headers=CHALLENGE)
    return user


async def feed(request: Request) -> Response:
    reader = await _reader(request)
    if isinstance(reader, Response):
        return reader
    request.state.user = reader
    if not allowed(reader.role, "cap"):
        audit(request, "refused", request.url.path)
        return await refuse(request, 403, "error.forbidden")
    console = hq_of(request)
    settings = FeedSettings(self_link=str(request.url.replace(query="")))
    document = current_feed(console.conn, console.hq, console.villages, settings, time.time())
    audit(request, "feed read", "/feed.atom", f"{document.count(b'<entry>')} entries")
    return Response(document, media_type=ATOM_TYPE,
                    headers={"Cache-Control": "private, no-store"})


PAGE = Page("hq_feed", "/feed.atom", "cap", [Route("/feed.atom", feed)])
