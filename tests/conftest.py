"""Fixtures: real mosquitto brokers, simulated modems on pseudo-terminals, stores in tmp dirs."""

from __future__ import annotations

import pytest

from gateway.alerts.codes import load_codebook
from gateway.config import load_config
from gateway.model import Village
from gateway.sim.broker import Broker, find_mosquitto
from gateway.sim.gsm_modem import SimulatedModem
from gateway.sim.harness import write_config
from gateway.store import Store
from gateway.store import registry as reg


@pytest.fixture
def broker():
    if find_mosquitto() is None:
        pytest.fail("mosquitto is required (scripts/test installs it: apt-get install mosquitto)")
    with Broker() as running:
        yield running


@pytest.fixture
def modem():
    with SimulatedModem() as sim:
        yield sim


@pytest.fixture
def codebook():
    return load_codebook()


@pytest.fixture
def store(tmp_path):
    opened = Store.open(tmp_path / "gateway.db")
    yield opened
    opened.close()


@pytest.fixture
def config(tmp_path):
    return load_config(write_config(tmp_path))


VILLAGES = [Village(12, "Kamango", ("Kamangu",)), Village(204, "Mutwanga"),
            Village(31, "Nobili", ("Nobeli",)), Village(47, "Kasindi Port", ("Kasindi",))]


@pytest.fixture
def registered(store):
    """The store with four villages and three focal points (fr, sw, en)."""
    for village in VILLAGES:
        reg.save_village(store, village)
    for phone, name, village, language in [("+243990000101", "Kahindo Masika", "12", "fr"),
                                           ("+243990000102", "Baraka Mumbere", "204", "sw"),
                                           ("+243990000103", "Grace Kavira", "31", "en")]:
        reg.save_focal_point(store, reg.make_focal_point(store, phone, name, village, language,
                                                         "+243"))
    return store
