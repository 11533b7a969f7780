"""The emergency wipe from the command line, and a wipe cut short by a SIGKILL: the data key
first, then every file, the SIM, the last words to headquarters; afterwards nothing starts."""

from __future__ import annotations

import json
import signal
import subprocess
import sys
import time

import pytest
from click.testing import CliRunner

from gateway.alerts.codes import load_codebook
from gateway.alerts.pipeline import Pipeline
from gateway.cli import cli
from gateway.config import load_config
from gateway.daemon import Daemon
from gateway.errors import StoreError
from gateway.sbd.reply import Wiped, decode_message
from gateway.sim.harness import DaemonProcess, MqttListener, wait_for, write_config
from gateway.sim.sbd_modem import SimulatedSbdModem
from gateway.store import Store
from gateway.store import registry as reg
from gateway.store.inbox import NewMessage
from gateway.wipe import EXIT_WIPED, wipe
from gateway.wipe.journal import Journal

FOCAL = {"+243997412583": "Kahindo Masika", "+243998236145": "Baraka Mumbere"}
SECRET_KEY = "k3y-for-tests-0123456789abcdef"


@pytest.fixture
def sbd_sim():
    with SimulatedSbdModem(session_time=0.05) as modem:
        yield modem


def make_base(tmp_path, modem=None, broker_port=None, sbd_port=None):
    """A base with focal points, alerts, a backup, a log file, a command key and a password, and
    the folder a hand-over import left beside the store."""
    for name, text in (("command.key", SECRET_KEY + "\n"), ("mqtt-password", "broker-secret\n")):
        (tmp_path / name).write_text(text)
        (tmp_path / name).chmod(0o600)  # secrets others can read are refused
    extra = (f'\n[sbd]\nport = "{sbd_port}"\ncommand_key_file = "command.key"\n'
             "session_timeout = 2\n") if sbd_port else ""
    path = write_config(tmp_path, modem, broker_port, extra=extra,
                        mqtt='username = "kwj"\npassword_file = "mqtt-password"\n')
    config = load_config(path)
    with Store.open(config.store.path) as store:
        for phone, name in FOCAL.items():
            reg.save_focal_point(store, reg.make_focal_point(store, phone, name, None, "fr",
                                                             "+243"))
        pipeline = Pipeline(store, config, load_codebook())
        with store.transaction():
            for phone in FOCAL:
                pipeline.record_message(NewMessage("sms", phone, "2 Kamango", time.time()))
    (tmp_path / "usb").mkdir()
    cangw(path, "db", "backup", str(tmp_path / "usb" / "copy.db"))
    (tmp_path / "daemon.log").write_text("ready\n")
    handed = tmp_path / "handover-BNI"  # what an import of the old base's bundle unpacked
    (handed / "config" / "secrets").mkdir(parents=True)
    (handed / "config" / "secrets" / "mqtt-password").write_text("old-base-secret\n")
    (handed / "history").mkdir()
    (handed / "history" / "alerts.csv").write_text("ref,code\nBNI-0001,2\n")
    return path, config


def cangw(path, *args, code=0, input=None):
    result = CliRunner().invoke(cli, ["-c", str(path), *args], input=input)
    assert result.exit_code == code, result.output
    return result.output


def test_cangw_wipe_destroys_everything_then_nothing_starts_until_set_up_again(
        tmp_path, modem, broker, sbd_sim):
    path, config = make_base(tmp_path, modem.path, broker.port, sbd_sim.path)
    with Store.open(config.store.path) as store:
        instance = store.instance
    modem.inject_sms("+243997412583", "2 Kamango encore")  # no daemon: it stays on the SIM
    modem.state.phonebook.update({1: ("+243997412583", "Kahindo"), 7: ("+243998236145", "B")})
    key_bytes = config.store.data_key.read_bytes()

    assert "nothing done" in cangw(path, "wipe", input="KWI\n", code=1)
    assert config.store.data_key.read_bytes() == key_bytes and config.store.path.exists()

    with MqttListener(broker.port) as hq:
        output = cangw(path, "wipe", input="KWJ\n")
        wait_for(lambda: hq.json_on("/events"), what="the wiped event")
    assert "nothing stored is readable any more" in output
    assert "satellite: sent" in output and "mqtt: sent" in output
    assert "sim: SMS deleted from SM; 2 phonebook entries deleted" in output
    left = sorted(str(p.relative_to(tmp_path)) for p in tmp_path.rglob("*") if p.is_file())
    assert left == ["gateway.db.wiped", "gateway.toml"]  # the backup in usb/ too
    assert modem.stored == {} and modem.state.phonebook == {}
    (event,) = hq.json_on("/events")
    assert event == {"schema": 1, "event": "wiped", "base": "KWJ", "time": event["time"],
                     "trigger": "cli"}
    with MqttListener(broker.port) as late:  # the retained status says so to whoever comes
        wait_for(lambda: late.json_on("/status"), what="the retained status")
        assert late.json_on("/status")[-1]["state"] == "wiped"
    (_, notice), = sbd_sim.sent
    assert decode_message(notice) == Wiped("KWJ", instance, decode_message(notice).time)
    journal = json.loads((tmp_path / "gateway.db.wiped").read_text())
    assert not any(number[4:] in json.dumps(journal) for number in FOCAL)

    refused = cangw(path, "status", code=1)
    assert "was wiped" in refused and "cangw setup-after-wipe" in refused
    assert Daemon(config).run() == EXIT_WIPED
    assert not config.store.path.exists() and not config.store.data_key.exists()

    cangw(path, "setup-after-wipe", "--yes")
    with Store.open(config.store.path) as store:  # empty, under a new key
        assert reg.focal_points(store) == []
    assert config.store.data_key.read_bytes() != key_bytes


def test_a_wipe_killed_after_the_key_is_destroyed_is_finished_at_restart_and_never_receives(
        tmp_path, modem, broker):
    path, config = make_base(tmp_path, modem.path, broker.port)
    (tmp_path / "daemon.log").unlink()  # so that the restarted daemon's own log is kept to read
    killed = subprocess.run([sys.executable, "-c", (
        "import os, signal, sys\n"
        "from gateway.config import load_config\n"
        "from gateway.wipe import begin\n"
        "begin(load_config(sys.argv[1]), 'panel')\n"
        "os.kill(os.getpid(), signal.SIGKILL)\n"), str(path)])
    assert killed.returncode == -signal.SIGKILL
    assert not config.store.data_key.exists() and config.store.path.exists()  # cut short
    with pytest.raises(StoreError, match="was wiped"):
        Store.open(config.store.path)
    modem.inject_sms("+243997412583", "2 Kamango après")
    with MqttListener(broker.port) as hq:
        daemon = DaemonProcess(path).start()
        assert daemon.process.wait(60) == EXIT_WIPED
        daemon.stop()
        wait_for(lambda: hq.json_on("/events"), what="the wiped event")
    assert modem.sent == [] and modem.stored == {}  # not answered, and erased from the SIM
    assert not config.store.path.exists() and not (tmp_path / "usb" / "copy.db").exists()
    assert Journal.load(config.store.path).done
    assert "was wiped" in daemon.log and "ready" not in daemon.log and "starting" not in daemon.log
    again = DaemonProcess(path).start()  # systemd does not restart it (status 78) ...
    assert again.process.wait(30) == EXIT_WIPED  # ... and by hand it refuses at once
    again.stop()
    assert not config.store.path.exists()


def test_nothing_is_readable_within_two_seconds_of_the_trigger(tmp_path):
    _, config = make_base(tmp_path, broker_port=1883, sbd_port="/dev/cangw-sbd")
    triggered = time.monotonic()
    report = wipe(config, "console", triggered)
    assert report.unreadable_after < 2.0 and report.erased_after < 5.0
    assert not config.store.data_key.exists()
    assert not (tmp_path / "command.key").exists()  # secrets go with the files
    assert (tmp_path / "mqtt-password").exists()  # the password last, once the links spoke
    assert Journal.load(config.store.path).outcome("key") == "destroyed"


def test_a_secret_the_process_may_not_destroy_is_said_and_the_store_is_erased_all_the_same(
        tmp_path):
    """On a base the command key sits in /etc/cangw, which the daemon's and the console's units
    may only read: here a folder stands in for it (overwriting it fails for root too)."""
    _, config = make_base(tmp_path, sbd_port="/dev/cangw-sbd")
    (tmp_path / "command.key").unlink()
    (tmp_path / "command.key").mkdir()
    wipe(config, "console")
    assert not config.store.data_key.exists() and not config.store.path.exists()
    assert not (tmp_path / "daemon.log").exists() and not (tmp_path / "usb" / "copy.db").exists()
    outcome = Journal.load(config.store.path).outcome("files")
    assert outcome.startswith("erased (") and outcome.endswith(
        f"NOT destroyed: {tmp_path / 'command.key'}")
