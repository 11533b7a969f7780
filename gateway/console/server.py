"""`cangw console`: the web console served by uvicorn, over TLS when `[console]` names a
certificate."""

from __future__ import annotations

import uvicorn

from gateway.config import Config
from gateway.console.app import create_app


def serve(config: Config) -> None:
    settings = config.console
    server = uvicorn.Server(uvicorn.Config(
        create_app(config), host=settings.bind, port=settings.port,
        ssl_certfile=str(settings.tls_cert) if settings.tls_cert else None,
        ssl_keyfile=str(settings.tls_key) if settings.tls_key else None,
        access_log=False, server_header=False, proxy_headers=False, log_config=None,
        timeout_graceful_shutdown=3))
    server.run()
