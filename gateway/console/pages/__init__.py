"""The console's pages, one module each, listed once here.

A page module declares `PAGE`: its name (the navigation label is the string `nav.<name>` in
gateway/console/strings.py), the path its navigation entry opens (None: no entry), the
permission that shows the entry (gateway/console/roles.py), and its routes, each guarded by
`web.page(permission)`. A new page (incidents, broadcasts, the network's silence watch) is a
new module added to `PAGES`: see docs/console.md.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from starlette.routing import BaseRoute


@dataclass(frozen=True)
class Page:
    name: str
    path: str | None
    permission: str
    routes: list[BaseRoute] = field(default_factory=list)


def all_pages() -> list[Page]:
    """Every page, in navigation order."""
    from gateway.console.pages import (
        alert,
        atom,
        audit,
        auth,
        broadcasts,
        feed,
        groups,
        health,
        incidents,
        map,
        network,
        registry,
        voice,
        wipe,
    )

    return [feed.PAGE, incidents.PAGE, alert.PAGE, map.PAGE, broadcasts.PAGE, network.PAGE,
            voice.PAGE, registry.PAGE, groups.PAGE, health.PAGE, audit.PAGE, wipe.PAGE,
            atom.PAGE, auth.PAGE]
