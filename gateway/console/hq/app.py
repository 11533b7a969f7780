"""Headquarters' console: the base console's machinery (app.assemble, sessions, the login
limiter, templates) around headquarters' store and pages."""

from __future__ import annotations

import sqlite3
from dataclasses import dataclass

from starlette.applications import Starlette
from starlette.requests import Request

from gateway.alerts.codes import load_codebook
from gateway.config import BaseConfig, Config, StoreConfig
from gateway.console.app import assemble, quiet_libraries
from gateway.console.live import POLL
from gateway.console.pages import Page
from gateway.console.roles import PARTNER
from gateway.console.sessions import LoginLimiter, Sessions
from gateway.console.web import Console, console_of, templates
from gateway.hq.accounts import open_console_store
from gateway.hq.config import CollectorConfig, HqConfig
from gateway.hq.places import PlaceIndex, load_villages
from gateway.hq.publish import BaseBook, load_books
from gateway.model import Village

HQ_ID, HQ_NAME = "HQ", "Headquarters"  # the header's brand, where a base shows its own


@dataclass
class HqConsole(Console):
    """The console's state at headquarters: hq.toml, and what it says of each base (its
    villages, joined across bases into places, and its code book)."""

    hq: HqConfig
    villages: dict[str, dict[int, Village]]
    places: PlaceIndex
    books: dict[str, BaseBook]
    default_book: BaseBook

    @property
    def conn(self) -> sqlite3.Connection:
        return self.store.db.conn

    @property
    def silent_after(self) -> float:
        collector = self.hq.collector
        return collector.silent_after if collector else CollectorConfig.silent_after

    def book(self, base: str) -> BaseBook:
        return self.books.get(base, self.default_book)

    def daemon_up(self) -> bool:
        """No base daemon here to miss: the bases page says when the collector last stored."""
        return True

    def home(self, role: str) -> str:
        return "/feed.atom" if role == PARTNER else "/bases"


def hq_of(request: Request) -> HqConsole:
    console = console_of(request)
    assert isinstance(console, HqConsole)
    return console


def hq_pages() -> list[Page]:
    """Headquarters' pages, in navigation order."""
    from gateway.console.hq import atom, bases, incidents, live, places_map, shared
    from gateway.console.pages import audit, auth

    return [bases.PAGE, places_map.PAGE, incidents.PAGE, shared.PAGE, atom.PAGE, audit.PAGE,
            live.PAGE, auth.PAGE]


def create_hq_app(config: HqConfig, poll: float = POLL) -> Starlette:
    from gateway.console.hq.live import ChangeWatch

    quiet_libraries()
    store = open_console_store(config.store.path)
    frame = Config(source=config.source, base=BaseConfig(id=HQ_ID, name=HQ_NAME),
                   store=StoreConfig(config.store.path), console=config.console)
    villages = load_villages(config)
    books, default = load_books(config)
    pages = hq_pages()
    console = HqConsole(
        config=frame, store=store, codebook=load_codebook(),
        sessions=Sessions(config.console.idle_minutes * 60.0), logins=LoginLimiter(),
        watch=ChangeWatch(config.store.path, poll), templates=templates(),
        nav=[p for p in pages if p.path], hq=config, villages=villages,
        places=PlaceIndex({base: list(listed.values()) for base, listed in villages.items()}),
        books=books, default_book=default)
    return assemble(console, pages)
