"""What the gateway writes is never readable by others, and a secret others can read is refused.

The store holds the pseudonym secret and every phone number: run outside systemd with umask
022, the store, its -wal and -shm files and `cangw db backup` copies were 0644, and a command
key anyone could read was used without a word."""

from __future__ import annotations

import os
import stat
import subprocess
import sys
from contextlib import contextmanager

import pytest
from click.testing import CliRunner

from gateway.cli import cli
from gateway.config import load_config
from gateway.errors import ConfigError
from gateway.hq.config import HttpConfig
from gateway.mqtt.service import MqttService
from gateway.sbd import commands
from gateway.sim.harness import (
    DaemonProcess,
    link_state,
    wait_for,
    wait_until_gsm_up,
    write_config,
)
from gateway.store import Store
from gateway.store.integrity import open_checked
from gateway.workers import Notifier

KEY = "0123456789abcdef0123456789abcdef\n"


@contextmanager
def umask(mask: int):
    before = os.umask(mask)
    try:
        yield
    finally:
        os.umask(before)


def others(path) -> int:
    return stat.S_IMODE(path.stat().st_mode) & 0o007


def cangw(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "gateway", *args], capture_output=True,
                          text=True, timeout=60)


def test_the_store_its_wal_shm_and_backups_are_not_for_others(tmp_path, modem):
    config = write_config(tmp_path, modem.path)
    db = tmp_path / "gateway.db"
    with umask(0o022), DaemonProcess(config) as daemon:
        wait_until_gsm_up(db, daemon)
        modem.inject_sms("+243990000101", "2 Kamango")
        wal, shm = db.with_name("gateway.db-wal"), db.with_name("gateway.db-shm")
        wait_for(lambda: wal.exists() and shm.exists(), what="the WAL and shared-memory files")
        backup = tmp_path / "copy.db"
        done = cangw("-c", str(config), "db", "backup", str(backup))
        assert done.returncode == 0, done.stderr
        assert {path.name: others(path) for path in (db, wal, shm, backup)} == dict.fromkeys(
            ("gateway.db", "gateway.db-wal", "gateway.db-shm", "copy.db"), 0)
        assert stat.S_IMODE(db.stat().st_mode) == 0o640  # the CLI's group may read it


def test_a_store_made_readable_by_others_is_made_private_again(tmp_path):
    path = tmp_path / "gateway.db"
    Store.open(path).close()
    path.chmod(0o666)
    with Store.open(path):
        assert {p.name: others(p) for p in tmp_path.iterdir()} == dict.fromkeys(
            [p.name for p in tmp_path.iterdir()], 0)


def test_a_corrupt_store_moved_aside_is_private_too(tmp_path):
    path = tmp_path / "gateway.db"
    Store.open(path).close()
    with open(path, "r+b") as handle:
        handle.seek(100)
        handle.write(b"\xa5" * 400)  # page 1 after the header: SQLite cannot trust it
    path.chmod(0o644)
    open_checked(path).close()
    moved = list(tmp_path.glob("gateway.db.corrupt-*"))
    assert moved and [others(p) for p in moved] == [0] * len(moved)


def test_backup_by_the_library_is_private_whatever_the_umask(tmp_path):
    from gateway.store import maintenance

    with umask(0o000), Store.open(tmp_path / "gateway.db") as store:
        maintenance.backup(store, tmp_path / "copy.db")
    assert others(tmp_path / "copy.db") == 0


@pytest.mark.parametrize("mode", [0o644, 0o604, 0o602], ids=["0644", "0604", "0602"])
def test_a_command_key_others_can_read_or_change_is_refused(tmp_path, mode):
    key = tmp_path / "command.key"
    key.write_text(KEY)
    key.chmod(mode)
    with pytest.raises(ConfigError, match=r"others can read or change this command key; "
                                          r"make it private: chmod o-rwx"):
        commands.load_key(key)
    path = write_config(tmp_path, extra='\n[sbd]\nport = "x"\ncommand_key_file = "command.key"\n')
    done = CliRunner().invoke(cli, ["-c", str(path), "config", "check"])
    assert done.exit_code == 1 and "others can read or change this command key" in done.stderr
    key.chmod(0o640)
    assert commands.load_key(key) == KEY.strip().encode()
    assert CliRunner().invoke(cli, ["-c", str(path), "config", "check"]).exit_code == 0


def test_a_broker_password_file_others_can_read_is_refused(tmp_path):
    secret = tmp_path / "mqtt-password"
    secret.write_text("s3cret\n")
    secret.chmod(0o644)
    path = write_config(tmp_path, mqtt_port=1883,
                        mqtt='username = "kwj"\npassword_file = "mqtt-password"\n')
    with pytest.raises(ConfigError, match="others can read or change this broker password"):
        load_config(path).mqtt.password()
    result = CliRunner().invoke(cli, ["-c", str(path), "config", "check"])
    assert result.exit_code == 1 and "[mqtt] password_file:" in result.output
    secret.chmod(0o600)
    assert load_config(path).mqtt.password() == "s3cret"


def test_a_webhook_secret_others_can_read_is_refused(tmp_path):
    secret = tmp_path / "webhook-secret"
    secret.write_text("s3cret-for-the-provider\n")
    secret.chmod(0o644)
    with pytest.raises(ConfigError, match="others can read or change this webhook secret"):
        HttpConfig(secret_file=secret).secret()


def test_the_uplink_says_why_it_will_not_log_in_and_logs_in_once_the_file_is_private(
        tmp_path, broker, codebook):
    """Receiving goes on meanwhile: only the MQTT link waits, with the reason in status."""
    secret = tmp_path / "mqtt-password"
    secret.write_text("s3cret\n")
    secret.chmod(0o644)
    config = load_config(write_config(
        tmp_path, mqtt_port=broker.port,
        mqtt='username = "kwj"\npassword_file = "mqtt-password"\n'))
    Store.open(config.store.path).close()
    worker = MqttService(config, codebook, Notifier())
    worker.start()
    try:
        down = wait_for(lambda: link_state(config.store.path, "mqtt").get("error"),
                        what="the refusal in status")
        assert "others can read or change this broker password" in down
        assert worker.is_alive()
        secret.chmod(0o600)
        wait_for(lambda: link_state(config.store.path, "mqtt").get("state") == "up", 15,
                 what="the link up once the file is private")
    finally:
        worker.stop()
        worker.join(15)
