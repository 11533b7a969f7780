"""`cangw console` (a base's) and `cangw console --hq` (headquarters'): the web console served
by uvicorn, over TLS when `[console]` names a certificate."""

from __future__ import annotations

import ctypes
import ctypes.util

import uvicorn
from starlette.applications import Starlette

from gateway.config import Config
from gateway.console.app import create_app
from gateway.console.config import ConsoleConfig
from gateway.hq.config import HqConfig

M_MMAP_THRESHOLD = -3  # glibc's mallopt parameter
MMAP_THRESHOLD = 128 * 1024


def give_big_blocks_back() -> None:
    """Each login's scrypt takes 16 MB in a worker thread; glibc would keep such blocks in the
    thread's heap once freed (its mmap threshold rises to the largest block freed), so every
    worker thread that checked a password held 16 MB more for ever. A fixed threshold serves
    them from mmap and returns them at once (bench/console.py: 62 MB after ten logins, 46 MB
    with this)."""
    name = ctypes.util.find_library("c")
    libc = ctypes.CDLL(name) if name else None
    if libc is not None and hasattr(libc, "mallopt"):
        libc.mallopt(M_MMAP_THRESHOLD, MMAP_THRESHOLD)


def serve(config: Config) -> None:
    """A base's console."""
    give_big_blocks_back()
    run(create_app(config), config.console)


def serve_hq(config: HqConfig) -> None:
    """Headquarters' console (gateway/console/hq/)."""
    from gateway.console.hq.app import create_hq_app

    give_big_blocks_back()
    run(create_hq_app(config), config.console)


def run(app: Starlette, settings: ConsoleConfig) -> None:
    server = uvicorn.Server(uvicorn.Config(
        app, host=settings.bind, port=settings.port,
        ssl_certfile=str(settings.tls_cert) if settings.tls_cert else None,
        ssl_keyfile=str(settings.tls_key) if settings.tls_key else None,
        access_log=False, server_header=False, proxy_headers=False, log_config=None,
        timeout_graceful_shutdown=3))
    server.run()
