"""A real console process on a store with villages, focal points, alerts and one user per
role; clients that log in as each role."""

from __future__ import annotations

import dataclasses
import re
import sqlite3
import time
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest

from gateway.alerts.codes import load_codebook
from gateway.alerts.pipeline import Pipeline
from gateway.config import load_config
from gateway.model import Village
from gateway.sim.broker import free_port
from gateway.sim.console_run import ConsoleProcess
from gateway.sim.harness import write_config
from gateway.store import Store, groups, silences, users
from gateway.store import registry as reg
from gateway.store.inbox import NewMessage

PASSWORD = "a long enough password"
FOCAL = [("+243990000101", "Kahindo Masika", "12"), ("+243990000102", "Baraka Mumbere", "204")]
UNKNOWN = "+243997770001"
VILLAGES = [Village(12, "Kamango", ("Kamangu",), 0.65, 29.9), Village(204, "Mutwanga", (), 0.33, 29.74),
            Village(31, "Nobili", (), 0.71, 29.83)]
ROLES = ("officer", "technician", "admin")
TILE = b"\x89PNG\r\n\x1a\n a tile"


@dataclass
class Base:
    config_path: Path
    db: Path
    url: str
    console: ConsoleProcess

    def store(self) -> Store:
        return Store.open(self.db)

    def client(self, role: str) -> Client:
        return Client.logged_in(self.url, role)

    def commit_sms(self, sender: str, text: str) -> str:
        """An SMS stored as the daemon's pipeline stores it; returns the alert's reference."""
        config = load_config(self.config_path)
        with self.store() as store:
            pipeline = Pipeline(store, config, load_codebook())
            with store.transaction():
                alert = pipeline.record_message(NewMessage("sms", sender, text, time.time()))
        return alert.ref


class Client(httpx.Client):
    csrf: str = ""

    @classmethod
    def logged_in(cls, url: str, name: str, password: str = PASSWORD, page: str = "/health") -> Client:
        """Signed in, with the CSRF token of `page` (any page the console renders carries it)."""
        client = cls(base_url=url, headers={"accept": "text/html"}, timeout=10)
        client.csrf = login_csrf(client)
        answer = client.post("/login", data={"name": name, "password": password, "csrf": client.csrf})
        assert answer.status_code == 303, answer.text
        client.csrf = page_csrf(client.get(page).text)
        return client


def login_csrf(client: httpx.Client) -> str:
    """The login form's token (its session is not signed in yet)."""
    match = re.search(r'name="csrf" value="([^"]+)"', client.get("/login").text)
    assert match
    return match.group(1)


def page_csrf(html: str) -> str:
    match = re.search(r'name="csrf-token" content="([^"]*)"', html)
    assert match, html[:500]
    return match.group(1)


def make_tiles(path: Path) -> Path:
    """A one-tile raster MBTiles file (zoom 2, column 1, the second row from the north)."""
    with sqlite3.connect(path) as db:
        db.execute("CREATE TABLE metadata (name TEXT, value TEXT)")
        db.execute("CREATE TABLE tiles (zoom_level INT, tile_column INT, tile_row INT,"
                   " tile_data BLOB)")
        db.execute("INSERT INTO metadata VALUES ('format', 'png')")
        db.execute("INSERT INTO tiles VALUES (2, 1, 2, ?)", [TILE])
    return path


def make_base(folder: Path, extra: str = "") -> tuple[Path, str]:
    port = free_port()
    config = write_config(folder, mqtt_port=free_port(),
                          extra=f"\n[console]\nport = {port}\n{extra}")
    fill(folder / "gateway.db", config)
    return config, f"http://127.0.0.1:{port}"


def fill(db: Path, config: Path) -> None:
    """The villages, the focal points, a user per role (named after it) and three messages."""
    with Store.open(db) as store:
        for village in VILLAGES:
            reg.save_village(store, village)
        for phone, name, village in FOCAL:
            reg.save_focal_point(store, reg.make_focal_point(store, phone, name, village, "fr", "+243"))
        for role in ROLES:
            users.add_user(store, role, role, PASSWORD, "en")
        pipeline = Pipeline(store, load_config(config), load_codebook())
        with store.transaction():
            for sender, text in [(FOCAL[0][0], "alerte 2 kamango 15 hommes armés"),
                                 (FOCAL[1][0], "hatari 3"),
                                 (UNKNOWN, "on entend des bruits bizarres vers la rivière")]:
                pipeline.record_message(NewMessage("sms", sender, text, time.time()))


@pytest.fixture(scope="session")
def base(tmp_path_factory):
    """One console for the access and page tests (each starts in a few seconds)."""
    folder = tmp_path_factory.mktemp("console")
    tiles = make_tiles(folder / "map.mbtiles")
    config, url = make_base(folder, f'tiles = "{tiles}"\n')
    with ConsoleProcess(config, url, log_level="DEBUG") as console:
        yield Base(config, folder / "gateway.db", url, console)


OPS_FOCAL = [("+243990000201", "Furaha Kavugho", "12", "fr", "f"),
             ("+243990000202", "Jean Paluku", "12", "sw", None),
             ("+243990000203", "Esther Masika", "31", "fr", "f")]
OPS_ZONES = {12: "north", 31: "north", 204: "south"}


@dataclass
class Ops(Base):
    """A base with zones, a group, a modem configured (the console never opens it), a daily
    budget of 4 SMS, an incident reported by three people and a focal point overdue for a
    check-in."""

    silent_focal: int = 0


@pytest.fixture(scope="session")
def ops(tmp_path_factory):
    folder = tmp_path_factory.mktemp("ops")
    config, url = make_base(folder, '\n[gsm]\nport = "/dev/null"\n'
                                    '\n[outreach]\ndaily_sms_budget = 4\n')
    with Store.open(folder / "gateway.db") as store:
        for number, zone in OPS_ZONES.items():
            village = reg.village(store, number)
            assert village is not None
            reg.save_village(store, dataclasses.replace(village, zone=zone))
        ids = [reg.save_focal_point(store, reg.make_focal_point(
            store, phone, name, village, language, "+243", profile=reg.Profile(gender)))
            for phone, name, village, language, gender in OPS_FOCAL]
        with store.transaction() as db:
            chiefs = groups.create(db, "chiefs")
            groups.add_member(db, chiefs, ids[0])
            groups.add_member(db, chiefs, ids[2])
            silences.start(db, "focal", ids[2], 31, "north", time.time() - 7200,
                           time.time() - 90000, time.time())
    with ConsoleProcess(config, url, log_level="DEBUG") as console:
        ops = Ops(config, folder / "gateway.db", url, console, silent_focal=ids[2])
        ops.commit_sms(OPS_FOCAL[0][0], "alerte 2 kamango")  # KWJ-0004, with KWJ-0001's incident
        ops.commit_sms(OPS_FOCAL[1][0], "alerte 2 kamango")
        yield ops
