"""The wipe's triggers inside the running daemon: headquarters' satellite and MQTT commands
(signed and new, or refused) and the panel's button held to the end of the countdown."""

from __future__ import annotations

import threading

from gpiozero.pins.mock import MockFactory

from gateway.config import load_config
from gateway.daemon import Daemon
from gateway.outreach.hq_wire import HqCommand, sign_mqtt
from gateway.sbd import commands
from gateway.sbd.reply import StatusReply, Wiped, decode_message
from gateway.sim.harness import DaemonProcess, MqttListener, query, wait_for, write_config
from gateway.sim.sbd_modem import SimulatedSbdModem
from gateway.store import Store
from gateway.wipe import EXIT_WIPED
from gateway.wipe.journal import Journal
from tests.outreach.test_hq_commands import publish
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


def test_headquarters_wipes_over_mqtt_with_a_signed_new_command_only(tmp_path, broker):
    """The same command by MQTT (the command topic, one counter with the satellite): a forged
    or replayed wipe is refused and the base carries on; a signed, new one wipes it."""
    key = "k3y-for-tests-0123456789abcdef"
    (tmp_path / "command.key").write_text(key + "\n")
    (tmp_path / "command.key").chmod(0o600)  # a key others can read is refused
    config = load_config(write_config(tmp_path, mqtt_port=broker.port,
                                      mqtt='command_key_file = "command.key"\n'))
    db = config.store.path

    def wipe_command(counter: int, signed_with: str = key) -> bytes:
        return sign_mqtt(signed_with.encode(), "KWJ", HqCommand(counter, "wipe"))

    with MqttListener(broker.port) as hq, DaemonProcess(config.source) as daemon:
        wait_for(lambda: "MQTT connected" in daemon.log, 15, what="MQTT connected")
        publish(broker.port, sign_mqtt(key.encode(), "KWJ", HqCommand(1000, "ping")))
        wait_for(lambda: [e for e in hq.json_on("/events") if e.get("event") == "pong"], 15,
                 what="the ping answered")
        publish(broker.port, wipe_command(2000, signed_with="not the base's key, but long"))
        publish(broker.port, wipe_command(500))  # older than the last accepted
        wait_for(lambda: len(query(db, "SELECT 1 FROM sbd_commands")) == 3, 15,
                 what="three commands handled")
        refused = query(db, "SELECT outcome FROM sbd_commands WHERE accepted = 0 ORDER BY id")
        assert ["authentication failed" in o or "replayed or out of order" in o
                for (o,) in refused] == [True, True]
        assert config.store.data_key.exists() and daemon.process.poll() is None

        publish(broker.port, wipe_command(3000))
        assert daemon.process.wait(60) == EXIT_WIPED
        wait_for(lambda: [e for e in hq.json_on("/events") if e.get("event") == "wiped"], 15,
                 what="the wiped event")
    journal = Journal.load(db)
    assert journal.done and journal.record["trigger"] == "headquarters (mqtt)"
    assert not db.exists() and not config.store.data_key.exists()
