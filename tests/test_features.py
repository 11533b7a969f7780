"""Channels and uplinks declare themselves once: the configuration, the daemon and the pipeline
read the declarations. A channel that exists only here (tests/fakeline) joins with one line."""

from __future__ import annotations

import os
import threading

import pytest
from gpiozero.pins.mock import MockFactory

from gateway import features
from gateway.config import load_config
from gateway.daemon import Daemon
from gateway.errors import ConfigError
from gateway.sim.harness import wait_for, write_config
from gateway.sim.pty_port import PtyPort
from gateway.store import Store
from tests.fakeline.feature import FEATURE as FAKELINE


@pytest.fixture
def with_fakeline(monkeypatch):
    monkeypatch.setattr(features, "FEATURES", (*features.FEATURES, FAKELINE))  # the one line


def fakeline_config(folder, port: str):
    """A base whose only link is the fake line."""
    return write_config(folder, extra=f'\n[fakeline]\nport = "{port}"\n')


def test_a_section_nobody_declares_is_refused(tmp_path):
    with pytest.raises(ConfigError, match=r"unknown section \[fakeline\]"):
        load_config(fakeline_config(tmp_path, "/dev/null"))


def test_a_registered_channel_receives_and_acknowledges_through_the_daemon(tmp_path,
                                                                          with_fakeline):
    port = PtyPort(baudrate=0)
    config = load_config(fakeline_config(tmp_path, port.path))
    assert config.section("fakeline").port == port.path
    daemon = Daemon(config)
    runner = threading.Thread(target=daemon.run)
    runner.start()
    try:
        wait_for(lambda: [w.name for w in daemon.workers] == ["watch", "outreach", "fakeline"]
                 and daemon.workers[2].up.is_set(), what="the fake line's worker up")
        os.write(port.master, b"9Q2KAM: alerte 2 kamango\n")
        received = bytearray()

        def answered() -> bool:
            received.extend(port.read(0.1))
            return b"\n" in received

        wait_for(answered, what="the acknowledgement on the line")
    finally:
        daemon.stop()
        runner.join(10)
        port.close()
    assert received.startswith(b"TO 9Q2KAM: KWJ-0001 ")
    with Store.open(config.store.path) as store:
        row = store.db.execute("SELECT channel, code, unseal(sender) FROM alerts").fetchone()
    assert row == ("fakeline", "2", "9Q2KAM")


def test_a_dead_worker_is_rebuilt_the_way_it_was_built(tmp_path):
    config = load_config(write_config(tmp_path, "/dev/null", extra="\n[panel]\nmodem_power = 17\n"))
    factory = MockFactory()
    daemon = Daemon(config, pin_factory=factory)
    daemon.workers = daemon._make_workers()  # built, never started: to the supervisor, dead
    gsm = daemon.workers[0]
    assert gsm.name == "gsm" and gsm.recovery.power.pin_factory is factory
    daemon._supervise()
    replacement = daemon.workers[0]
    try:
        assert replacement is not gsm and replacement.recovery.power.pin_factory is factory
    finally:
        for worker in daemon.workers:
            worker.stop()
            worker.join(5)


def test_declarations_do_not_overlap():
    names = [feature.name for feature in features.FEATURES]
    sections = [name for feature in features.FEATURES for name in feature.sections]
    assert len(set(names)) == len(names) and len(set(sections)) == len(sections)
    assert features.primary_destinations() == ["mqtt"]
    assert features.fallback_destinations() == ["sbd"]
