"""`/feed.atom`: the base's current incidents as OASIS CAP 1.2 messages in one Atom document,
for partners (`cangw user add NAME --role partner`) with HTTP Basic or a signed-in session, as
gateway/console/partner_feed.py serves it.

Each entry is an incident (its id stays, so a reader replaces the entry by the newer version)
holding its current version's message (gateway/cap/incidents.py: an Alert, an Update naming the
earlier messages, a Cancel). An incident is current until that message expires (its `[triage]`
window after the last report, or after it ended); routine ones (check-ins, tests) are left out.
Newest change first.
"""

from __future__ import annotations

import time

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from gateway.cap.atom import Entry, FeedHead, atom_feed
from gateway.cap.incidents import incident_context, incident_messages
from gateway.console.pages import Page
from gateway.console.partner_feed import serve_feed
from gateway.console.web import Console, console_of
from gateway.store import incidents as incident_store
from gateway.timeutil import local_zone


def incidents_feed(console: Console, self_link: str, now: float) -> bytes:
    config = console.config
    triage = config.triage
    longest = max((*triage.window_hours.values(), triage.default_window_hours)) * 3600.0
    context = incident_context(console.store, config, console.codebook)
    candidates = [i for i in incident_store.changed_since(console.store.db, now - longest)
                  if i.category not in triage.routine]
    messages = incident_messages(console.store.db, candidates, context)
    current = [(incident, message) for incident, message in zip(candidates, messages, strict=True)
               if (message.infos[0].expires or 0.0) > now]
    head = FeedHead(f"urn:cangw:{config.base.id.lower()}:incidents",
                    f"{config.base.name} ({config.base.id}): current incidents",
                    f"{config.base.name} ({config.base.id})", self_link)
    entries = [Entry(f"urn:cangw:incident:{message.sender}:{incident.uid}", message)
               for incident, message in reversed(current)]
    return atom_feed(head, entries, local_zone(config.base.timezone), now)


async def feed(request: Request) -> Response:
    console = console_of(request)
    realm = f"cangw {console.config.base.id} CAP feed"
    return await serve_feed(request, realm,
                            lambda link: incidents_feed(console, link, time.time()))


PAGE = Page("cap_feed", "/feed.atom", "cap", [Route("/feed.atom", feed)])
