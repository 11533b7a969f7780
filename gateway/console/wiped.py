"""After an emergency wipe the console serves nothing but that fact.

Whatever triggered the wipe (the admin page, `cangw wipe`, the panel's button, headquarters),
its journal beside the store is there from the first instant. Every request then answers
410 with what the journal says (when, what kind of trigger, which steps are done: never a
person), and the first such request signs everyone out and closes the console's connections
to the store, whose file is already unlinked: an open connection would keep serving what is
left of it and keep its blocks on the disk. A console started on a wiped gateway serves the
same answer and opens nothing.
"""

from __future__ import annotations

import functools

from starlette.requests import Request
from starlette.responses import Response
from starlette.templating import Jinja2Templates
from starlette.types import ASGIApp, Receive, Scope, Send

from gateway.config import Config
from gateway.console.strings import translator
from gateway.console.web import Console, language_of, templates
from gateway.wipe import wiped
from gateway.wipe.journal import Journal

REFRESH_SECONDS = 2  # the page follows the rest of the wipe (SIM, last words) until it is done
STEPS = ("key", "files", "sim", "mqtt", "satellite")


class WipedGate:
    """Outermost but for the request log: once the gateway is wiped, no page runs again."""

    def __init__(self, app: ASGIApp, config: Config):
        self.app = app
        self.config = config

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope["path"].startswith("/static/") \
                or not wiped(self.config):
            await self.app(scope, receive, send)
            return
        console = scope["app"].state.console
        if console is not None:
            stop_serving(console)
        await wiped_page(Request(scope, receive), self.config, 410)(scope, receive, send)


def stop_serving(console: Console) -> None:
    """Sign everyone out (open live pages are told their session ended and reload) and close
    the console's connections to the store; doing it again changes nothing."""
    console.sessions.end_all()
    console.watch.close()
    console.store.close()


def wiped_page(request: Request, config: Config, status: int) -> Response:
    """What the journal says: when, the kind of trigger, each step's outcome, done or not."""
    journal = Journal.load(config.store.path)
    record = journal.record if journal else {}
    steps = record.get("steps", {})
    language = language_of(request)
    return _templates().TemplateResponse(request, "wiped.html", {
        "t": translator(language), "lang": language, "base": config.base, "user": None,
        "nav": [], "csrf": "", "daemon_up": True, "started": record.get("started_at_utc"),
        "trigger": record.get("trigger"), "finished": record.get("finished_at_utc"),
        "done": bool(journal and journal.done), "refresh": REFRESH_SECONDS,
        "steps": [(step, steps[step]) for step in (*STEPS, *sorted(set(steps) - set(STEPS)))
                  if step in steps]},
        status_code=status, headers={"Cache-Control": "no-store"})


@functools.cache
def _templates() -> Jinja2Templates:
    return templates()
