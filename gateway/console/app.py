"""The console's web application: the pages of gateway/console/pages/, the package's static
files, the security headers every answer carries, and a log that names no one."""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

import anyio.to_thread
from starlette.applications import Starlette
from starlette.datastructures import MutableHeaders
from starlette.middleware import Middleware
from starlette.middleware.gzip import GZipMiddleware
from starlette.routing import Mount
from starlette.staticfiles import StaticFiles
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from gateway.alerts.codes import load_codebook
from gateway.config import Config
from gateway.console.live import POLL, AlertWatch
from gateway.console.pages import Page, all_pages
from gateway.console.sessions import LoginLimiter, Sessions
from gateway.console.tiles import open_tiles
from gateway.console.web import Console, templates
from gateway.console.wiped import WipedGate
from gateway.store import Store
from gateway.wipe import wiped

log = logging.getLogger("gateway.console")

# Everything the page loads comes from the console itself: no CDN, no tile server, nothing
# about the base asked of anyone else (and nothing injected can call out either).
CONTENT_POLICY = ("default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:;"
                  " connect-src 'self'; font-src 'self'; object-src 'none'; base-uri 'none';"
                  " form-action 'self'; frame-ancestors 'none'")
SECURITY_HEADERS = {
    "content-security-policy": CONTENT_POLICY,
    "x-content-type-options": "nosniff",
    "x-frame-options": "DENY",
    "referrer-policy": "no-referrer",
    "cross-origin-opener-policy": "same-origin",
    "permissions-policy": "camera=(), microphone=(), geolocation=()",
}
# libraries whose debug lines would carry form fields and pushed pages (names, numbers)
TALKATIVE = ("sse_starlette", "multipart", "python_multipart", "uvicorn.access")
WORKER_THREADS = 4  # static files and password checks; pages run on the event loop


class Guard:
    """Adds the security headers and logs each request by method, path (ids and alert
    references only: never a query string, which may hold a searched name or number), status
    and time."""

    def __init__(self, app: ASGIApp):
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        started = time.monotonic()
        status = 0

        async def send_with_headers(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
                headers = MutableHeaders(scope=message)
                for name, value in SECURITY_HEADERS.items():
                    headers[name] = value
            await send(message)

        try:
            await self.app(scope, receive, send_with_headers)
        finally:
            level = logging.INFO if status >= 400 or status == 0 else logging.DEBUG
            log.log(level, "%s %s %d %.0f ms", scope["method"], scope["path"], status,
                    (time.monotonic() - started) * 1000)


def create_app(config: Config, poll: float = POLL) -> Starlette:
    quiet_libraries()
    if wiped(config):  # started on a wiped gateway: it says so, and opens nothing
        return assemble(None, [], wipe_config=config)
    store = Store.open(config.store.path)  # creates the console's tables on a new base
    pages = all_pages()
    console = Console(
        config=config, store=store,
        codebook=load_codebook(config.codes.file if config.codes else None),
        sessions=Sessions(config.console.idle_minutes * 60.0), logins=LoginLimiter(),
        watch=AlertWatch(config.store.path, poll), templates=templates(),
        nav=[p for p in pages if p.path])
    return assemble(console, pages, wipe_config=config)


def quiet_libraries() -> None:
    for name in TALKATIVE:
        logging.getLogger(name).setLevel(logging.WARNING)


def assemble(console: Console | None, pages: list[Page],
             wipe_config: Config | None = None) -> Starlette:
    """The application around `console`'s pages (a base's, or headquarters'), with the static
    files and the headers; `wipe_config`: the gateway whose wipe ends all serving (wiped.py)."""

    @asynccontextmanager
    async def lifespan(app: Starlette) -> AsyncIterator[None]:
        anyio.to_thread.current_default_thread_limiter().total_tokens = WORKER_THREADS
        if console is None:
            yield
            return
        console.watch.open()
        watching = asyncio.create_task(console.watch.run())
        log.info("console for %s on %s", console.config.base.id, console.config.console.url)
        try:
            yield
        finally:
            watching.cancel()
            console.watch.close()
            console.store.close()

    routes = [route for p in pages for route in p.routes]
    routes.append(Mount("/static", StaticFiles(packages=[("gateway.console", "static")]),
                        name="static"))
    middleware = [Middleware(Guard)]
    if wipe_config is not None:
        middleware.append(Middleware(WipedGate, config=wipe_config))
    app = Starlette(routes=routes, lifespan=lifespan, middleware=[
        *middleware, Middleware(GZipMiddleware, minimum_size=1000)])
    app.state.console = console
    app.state.tiles = open_tiles(console.config.console.tiles) if console else None
    return app
