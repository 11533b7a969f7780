"""A base with zones, focal points reading fr, sw and en (one on HF radio only, one who sent
STOP), and groups: what broadcasts are tried against."""

from __future__ import annotations

from pathlib import Path

import pytest

from gateway.config import Config, load_config
from gateway.model import Village
from gateway.outreach.templates import Book, load_book
from gateway.sim.harness import write_config
from gateway.store import Store, groups, opt_outs
from gateway.store import registry as reg

HF = '\n[hf]\nport = "socket://127.0.0.1:9"\ncallsign = "UNBASE"\n'
VILLAGES = [Village(12, "Kamango", zone="north"), Village(31, "Nobili", zone="north"),
            Village(47, "Kasindi", zone="south"), Village(204, "Mutwanga")]
# phone, name, village, language, callsign, groups
FOCAL = [("+243990000101", "Kahindo Masika", "12", "fr", None, ("chiefs",)),
         ("+243990000102", "Baraka Mumbere", "12", "sw", None, ("women-leaders",)),
         ("+243990000103", "Grace Kavira", "31", "en", None, ("chiefs", "women-leaders")),
         ("+243990000104", "Amani Kasereka", "47", "fr", None, ("chiefs",)),
         (None, "Radio Nobili", "31", "sw", "9Q2NOB", ()),
         ("+243990000106", "Furaha Sikuli", "31", None, None, ()),
         ("+243990000107", "Muhindo Paluku", "12", "fr", None, ())]
STOPPED = "+243990000107"


def make_base(folder: Path, extra: str = "", modem: str = "/dev/null",
              mqtt_port: int | None = None, gsm: str = "") -> tuple[Config, Store]:
    """The registry above in a fresh store, and the base's config (`extra` appended)."""
    config = load_config(write_config(folder, modem=modem, mqtt_port=mqtt_port, extra=extra,
                                      gsm=gsm))
    store = Store.open(config.store.path)
    for village in VILLAGES:
        reg.save_village(store, village)
    with store.transaction() as db:
        for phone, name, village, language, callsign, names in FOCAL:
            reg.save_focal_point(store, reg.make_focal_point(store, phone, name, village,
                                                             language, "+243", callsign))
            focal_id = groups.focal_by_identity(db, phone or callsign or "", "+243")
            assert focal_id is not None
            for group in names:
                groups.add_member(db, groups.create(db, group), focal_id)
        stopped = groups.focal_by_identity(db, STOPPED, "+243")
        assert stopped is not None
        opt_outs.record(db, stopped, opt_outs.STOP, 1.7e9, None)
    return config, store


@pytest.fixture
def book() -> Book:
    return load_book()


@pytest.fixture
def base(tmp_path):
    config, store = make_base(tmp_path, HF)
    yield config, store
    store.close()
