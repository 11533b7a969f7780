"""Fixtures: real mosquitto brokers, simulated modems on pseudo-terminals, stores in tmp dirs;
the order in which the test files are handed out to the processes that run them."""

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

# The files that take longest (each waits on daemons, clusters, recovery ladders or a pip
# install), slowest first. scripts/test hands out whole files in collection order to its
# processes (`--dist loadfile --no-loadscope-reorder`): a long file handed out last would keep
# one process busy while the others sit idle, so these go first. Measured serially; a file
# missing here only runs in its usual place.
SLOW_FILES_FIRST = (
    "tests/gsm/test_modem_faults.py",
    "tests/sbd/test_sbd_service.py",
    "tests/hq/test_hq_proof.py",
    "tests/gsm/test_calls.py",
    "tests/sim/test_kill_rounds.py",
    "tests/hq/test_cluster.py",
    "tests/test_install_pi.py",
    "tests/panel/test_panel.py",
    "tests/test_clock_steps.py",
    "tests/hq/test_collect.py",
    "tests/mqtt/test_broker_faults.py",
    "tests/hf/test_hf_service.py",
    "tests/console/test_browser.py",
    "tests/test_end_to_end.py",
    "tests/outreach/test_hq_commands.py",
    "tests/hq/test_hq_bridge.py",
    "tests/sbd/test_sbd_format.py",
    "tests/outreach/test_outreach_end_to_end.py",
    "tests/hq/test_hq_security.py",
    "tests/wipe/test_wipe_triggers.py",
    "tests/sbd/test_sbd_end_to_end.py",
    "tests/sim/test_sim_modem.py",
    "tests/gsm/test_sim_slots.py",
    "tests/mqtt/test_hosts.py",
    "tests/console/test_hq_browser.py",
)


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """Slow files first, each file's tests kept together and in their order."""
    rank = {path: n for n, path in enumerate(SLOW_FILES_FIRST)}
    items.sort(key=lambda item: rank.get(item.nodeid.split("::")[0], len(rank)))


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
