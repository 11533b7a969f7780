"""The wipe's triggers inside the running daemon: headquarters' satellite command (signed and
new, or refused) and the panel's button held to the end of the countdown."""

from __future__ import annotations

import threading

from gpiozero.pins.mock import MockFactory

from gateway.config import load_config
from gateway.daemon import Daemon
from gateway.sbd import commands
from gateway.sbd.reply import StatusReply, Wiped, decode_message
from gateway.sim.harness import DaemonProcess, query, wait_for, write_config
from gateway.sim.sbd_modem import SimulatedSbdModem
from gateway.store import Store
from gateway.wipe import EXIT_WIPED
from gateway.wipe.journal import Journal
from tests.sbd.test_sbd_service import configure, ping


def test_headquarters_wipes_by_satellite_with_a_signed_new_command_only(tmp_path):
    with SimulatedSbdModem(session_time=0.05) as sim:
        config = configure(tmp_path, sim.path)
        db = config.store.path
        with DaemonProcess(config.source) as daemon:
            wait_for(lambda: query(db, "SELECT 1 FROM link_status WHERE link = 'sbd'"
                                       " AND state = 'up'"), 20, what="the satellite link")
            sim.queue_mt(ping(1000))
            sim.queue_mt(ping(1000))  # replayed
            sim.queue_mt(ping(2000, key="not the base's key, but long", number=commands.WIPE))
            sim.queue_mt(ping(500, number=commands.WIPE))  # older than the last accepted
            wait_for(lambda: len(query(db, "SELECT 1 FROM sbd_commands")) == 4, 30,
                     what="four commands handled")
            refused = query(db, "SELECT outcome FROM sbd_commands WHERE accepted = 0")
            assert [o.split(":")[1].strip() for (o,) in refused] == [
                "replayed or out of order", "authentication failed (wrong key, another base, "
                "or altered)", "replayed or out of order"]
            assert config.store.data_key.exists() and daemon.process.poll() is None

            sim.queue_mt(ping(3000, number=commands.WIPE))
            assert daemon.process.wait(60) == EXIT_WIPED
        messages = [decode_message(message) for _, message in sim.sent]
    assert isinstance(messages[0], StatusReply)  # the ping's answer
    assert isinstance(messages[-1], Wiped) and messages[-1].base == "KWJ"
    journal = Journal.load(db)
    assert journal.done and journal.record["trigger"] == "headquarters (satellite)"
    assert journal.outcome("satellite").startswith("sent")
    assert not db.exists() and not config.store.data_key.exists()
    assert not (tmp_path / "command.key").exists()


def test_the_panel_button_held_to_the_end_wipes_through_the_daemon(tmp_path):
    panel = "\n[panel]\nbutton = 25\nbuzzer = 18\nalert = 23\nlong_press = 1\n"
    config = load_config(write_config(tmp_path, extra=panel))
    Store.open(config.store.path).close()
    factory = MockFactory()
    daemon = Daemon(config, pin_factory=factory)
    result: list[int] = []
    runner = threading.Thread(target=lambda: result.append(daemon.run()))
    runner.start()
    try:
        wait_for(lambda: daemon.workers and daemon.workers[0].up.is_set(), 10,
                 what="the panel ready")
        button = factory.pin(25)
        button.drive_low()
        wait_for(lambda: not runner.is_alive(), 15, what="the daemon to stop")
        button.drive_high()
    finally:
        daemon.stop()
        runner.join(20)
    assert result == [EXIT_WIPED]
    assert Journal.load(config.store.path).record["trigger"] == "panel"
    assert not config.store.data_key.exists()
    assert len(factory.pin(18).states) > 2  # the countdown beeped while it was held
