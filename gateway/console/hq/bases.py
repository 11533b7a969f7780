"""Every base headquarters knows or has heard from: online, silent (and why) or never heard,
its links, what waits in its outboxes, its alerts of the day and open incidents, as
`cangw hq-status` shows them; the silent ones first and standing out, refreshed live."""

from __future__ import annotations

import time

from starlette.requests import Request

from gateway.console.hq.app import hq_of
from gateway.console.hq.live import live_page
from gateway.hq import views

ORDER = {"silent": 0, "never heard": 1, "online": 2}  # the ones to worry about first


def _context(request: Request) -> dict:
    console = hq_of(request)
    health = views.bases(console.conn, [base.id for base in console.hq.bases], time.time(),
                         console.silent_after, watching_since=0.0)
    health.sort(key=lambda base: (ORDER.get(base.liveness, 0), base.id))
    online = sum(1 for base in health if base.liveness == "online")
    return {"bases": health, "online": online, "silent": len(health) - online,
            "collected": views.last_heard(console.conn)}


PAGE = live_page("hq_bases", "/bases", "health", "hq_bases", _context)
