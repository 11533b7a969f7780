"""The daemon's lock: held while it runs, free once it stops, however it stops."""

from __future__ import annotations

import signal

from gateway.liveness import daemon_running, hold
from gateway.sim.harness import DaemonProcess, wait_for, write_config


def test_the_lock_is_held_while_the_file_is_open_and_one_holder_at_a_time(tmp_path):
    store = tmp_path / "base" / "gateway.db"
    assert not daemon_running(store)
    lock = hold(store)
    assert lock is not None and daemon_running(store)
    assert hold(store) is None
    lock.close()
    assert not daemon_running(store)


def test_a_killed_daemon_is_seen_down_and_a_second_daemon_refuses_to_start(tmp_path):
    config = write_config(tmp_path)
    store = tmp_path / "gateway.db"
    with DaemonProcess(config) as daemon:
        wait_for(lambda: daemon_running(store), what="the daemon's lock")
        second = tmp_path / "second"
        second.mkdir()
        other = DaemonProcess(config)
        other.log_path = second / "daemon.log"
        assert other.start().process.wait(30) == 1
        other.stop()
        assert "another cangw daemon is running" in other.log
        daemon.stop(signal.SIGKILL)
    assert not daemon_running(store)
