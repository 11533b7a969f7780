"""`/feed.atom`: every base's current alerts as OASIS CAP 1.2 messages in one Atom document
(gateway/hq/feed.py), for partners (`cangw user --hq add NAME --role partner`) with HTTP Basic
or a signed-in session, as gateway/console/partner_feed.py serves it."""

from __future__ import annotations

import time

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from gateway.console.hq.app import hq_of
from gateway.console.pages import Page
from gateway.console.partner_feed import serve_feed
from gateway.hq.feed import FeedSettings, current_feed

REALM = "cangw headquarters CAP feed"


async def feed(request: Request) -> Response:
    console = hq_of(request)
    return await serve_feed(request, REALM, lambda link: current_feed(
        console.conn, console.hq, console.villages, FeedSettings(self_link=link), time.time()))


PAGE = Page("cap_feed", "/feed.atom", "cap", [Route("/feed.atom", feed)])
