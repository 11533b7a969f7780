"""Serving a CAP Atom feed to partners: the base console's feed of incidents
(pages/atom.py) and headquarters' feed of alerts (hq/atom.py) answer the same way.

Partners (another organisation's alert hub, a feed reader) get a user of their own with the
`partner` role (`cangw user add NAME --role partner`, with `--hq` at headquarters), which may
read the feed and nothing else. Their software sends it with HTTP Basic authentication, which
every feed reader and `curl -u` speak, over the console's TLS; each fetch is checked as a login
is (scrypt, the same limit of failures per name and per address) and audited. A person signed
in at the console (officer, admin, partner) reads it in the browser with their session.
Why not a token in the URL: it would end up in proxies' and readers' logs and history, and a
user per partner gives the same things (one to revoke, a password to change) with the
console's existing tools.
"""

from __future__ import annotations

import base64
import binascii
from collections.abc import Callable

from starlette.requests import Request
from starlette.responses import RedirectResponse, Response

from gateway.console.roles import allowed
from gateway.console.web import (
    TooManyFailures,
    audit,
    console_of,
    log,
    refuse,
    session_of,
    user_of,
    verify,
)
from gateway.store.users import User

ATOM_TYPE = "application/atom+xml; charset=utf-8"


def _credentials(request: Request) -> tuple[str, str] | None:
    scheme, _, value = request.headers.get("authorization", "").partition(" ")
    if scheme.lower() != "basic":
        return None
    try:
        name, colon, password = base64.b64decode(value.strip(), validate=True).decode().partition(":")
    except (binascii.Error, UnicodeDecodeError):
        return None
    return (name.strip().lower(), password) if colon else None


async def _reader(request: Request, realm: str) -> User | Response:
    """The signed-in user, else the one HTTP Basic names; else the answer that asks for it."""
    challenge = {"WWW-Authenticate": f'Basic realm="{realm}", charset="UTF-8"'}
    user = user_of(console_of(request), session_of(request))
    if user is not None:
        return user
    credentials = _credentials(request)
    if credentials is None:
        if "text/html" in request.headers.get("accept", ""):
            return RedirectResponse(f"/login?next={request.url.path}", 303)
        return Response("log in first (HTTP Basic)", 401, headers=challenge)
    name, password = credentials
    address = request.client.host if request.client else "?"
    try:
        user = await verify(request, name, password)
    except TooManyFailures:
        audit(request, "login refused", request.url.path, "too many failures", user=name or None)
        return Response("too many failed attempts: wait 15 minutes", 429)
    if user is None:
        log.info("feed login failed from %s", address)
        audit(request, "login failed", request.url.path, user=name or None)
        return Response("wrong user name or password", 401, headers=challenge)
    return user


async def serve_feed(request: Request, realm: str, write: Callable[[str], bytes]) -> Response:
    """The feed `write(self_link)` makes, for a reader with the `cap` permission; a refusal
    (401 with the Basic challenge of `realm`, 403 for other roles, 429 past the limit) else."""
    reader = await _reader(request, realm)
    if isinstance(reader, Response):
        return reader
    request.state.user = reader
    if not allowed(reader.role, "cap"):
        audit(request, "refused", request.url.path)
        return await refuse(request, 403, "error.forbidden")
    document = write(str(request.url.replace(query="")))
    audit(request, "feed read", request.url.path, f"{document.count(b'<entry>')} entries")
    return Response(document, media_type=ATOM_TYPE,
                    headers={"Cache-Control": "private, no-store"})
