"""Configuration validation: every error names the file, the key and what was expected."""

from __future__ import annotations

import dataclasses
import datetime as dt
import re
import subprocess
import sys
from pathlib import Path

import pytest
from click.testing import CliRunner

from gateway.cli import cli
from gateway.config import load_config
from gateway.errors import ConfigError
from gateway.panel.config import PanelConfig

EXAMPLE = Path(__file__).parent.parent / "firmware-config" / "gateway.example.toml"
MINIMAL = '[base]\nid = "KWJ"\nname = "Kiwanja"\n[store]\npath = "gw.db"\n'


def write(tmp_path, text):
    path = tmp_path / "gateway.toml"
    path.write_text(text)
    return path


def test_documented_example_is_valid():
    config = load_config(EXAMPLE)
    assert config.base.id and config.gsm is not None and config.mqtt is not None
    assert config.mqtt.topic_prefix == "can/v1"


def test_defaults_and_relative_paths(tmp_path):
    config = load_config(write(tmp_path, MINIMAL + '[gsm]\nport = "/dev/ttyUSB0"\n'))
    assert config.store.path == tmp_path / "gw.db"
    assert config.gsm.baudrate == 115200 and config.gsm.pin is None
    assert config.base.language == "fr"
    assert config.mqtt is None  # absent section: that link is not started


@pytest.mark.parametrize(("extra", "message"), [
    ('[gsm]\nport = "/dev/ttyUSB0"\nbaud = 9600\n', "[gsm] baud: unknown key"),
    ('[gsm]\nport = "/dev/ttyUSB0"\nbaudrate = "115200"\n',
     "[gsm] baudrate: expected an integer, got '115200' (a string)"),
    ("[gsm]\nbaudrate = 9600\n", "[gsm] port: missing required value"),
    ('[mqtt]\nhost = "hq"\ntls = "yes"\n', "[mqtt] tls: expected true or false"),
    ('[mqtt]\nhost = "hq"\nport = 70000\n', "[mqtt] port: expected a TCP port"),
    ('[mqtt]\nhost = "hq"\ntopic_prefix = "can/#"\n', "[mqtt] topic_prefix: expected topic levels"),
    ("[radio]\nport = 1\n", "unknown section [radio]"),
    ('[gsm]\nport = "/dev/ttyUSB0"\npin = "12ab"\n', "[gsm] pin: expected 4 to 8 digits"),
    ('[gsm]\nport = "/dev/ttyUSB0"\nbaudrate = -9600\n', "[gsm] baudrate: expected a serial"),
    ('[gsm]\nport = "/dev/ttyUSB0"\ncommand_timeout = 0\n', "[gsm] command_timeout: expected"),
    ('[gsm]\nport = "/dev/ttyUSB0"\nmultipart_timeout = -5\n', "[gsm] multipart_timeout: expected"),
    ('[gsm]\nport = ""\n', "[gsm] port: expected"),
    ('[hf]\nport = "x"\ncallsign = "UNBASE"\nbaudrate = 0\n', "[hf] baudrate: expected a serial"),
    ('[sbd]\nport = "x"\nbaudrate = -19200\n', "[sbd] baudrate: expected a serial"),
    ('[sbd]\nport = "x"\ncommand_timeout = 0\n', "[sbd] command_timeout: expected"),
    ('[mqtt]\nhost = "hq"\nkeepalive = -1\n', "[mqtt] keepalive: expected"),
    ('[mqtt]\nhost = "hq"\nstatus_interval = 0\n', "[mqtt] status_interval: expected"),
    ('[mqtt]\nhost = ""\n', "[mqtt] host: expected"),
    ('[credit]\nussd = "*123#"\nlow = -1\n', "[credit] low: expected"),
    ('[gsm]\nport = "/dev/ttyUSB0"\npower_off = 0\n', "[gsm] power_off: expected more than 0"),
    ('[gsm]\nport = "/dev/ttyUSB0"\nreset_wait = -1\n', "[gsm] reset_wait: expected 0 to 300"),
    ('[gsm]\nport = "/dev/ttyUSB0"\nreconnect_cap = 0.5\n', "[gsm] reconnect_cap: expected 1 to"),
    ('[mqtt]\nhost = "hq"\nreconnect_max = 0\n', "[mqtt] reconnect_max: expected 1 to 3600"),
])
def test_errors_name_file_key_and_expectation(tmp_path, extra, message):
    path = write(tmp_path, MINIMAL + extra)
    with pytest.raises(ConfigError) as caught:
        load_config(path)
    assert str(path) in str(caught.value)
    assert message in str(caught.value)


@pytest.mark.parametrize(("text", "message"), [
    ('[base]\nid = "KWJ"\nname = "x"\n', "missing section [store]"),
    ('[base]\nid = "kwj!"\nname = "x"\n[store]\npath = "a"\n', "[base] id: expected 2 to 8 capital"),
    ('[base]\nid = "KWJ"\nname = "x"\nlanguage = "de"\n[store]\npath = "a"\n',
     "[base] language: expected one of 'fr', 'sw', 'en', got 'de'"),
    ("[base\n", "not valid TOML"),
    ('[base]\nid = "KWJ"\nname = "x"\ntimezone = "Mars/Olympus"\n[store]\npath = "a"\n',
     "[base] timezone: expected a time zone such as 'Africa/Lubumbashi' (`timedatectl "
     "list-timezones` lists them), got 'Mars/Olympus'"),
    ('[base]\nid = "KWJ"\nname = "x"\ntimezone = "../../etc/passwd"\n[store]\npath = "a"\n',
     "[base] timezone: expected a time zone"),
])
def test_whole_file_errors(tmp_path, text, message):
    with pytest.raises(ConfigError, match=None) as caught:
        load_config(write(tmp_path, text))
    assert message in str(caught.value)


def test_missing_file(tmp_path):
    with pytest.raises(ConfigError, match="file not found"):
        load_config(tmp_path / "absent.toml")


def test_config_check_command(tmp_path):
    good = write(tmp_path, MINIMAL)
    result = CliRunner().invoke(cli, ["-c", str(good), "config", "check"])
    assert result.exit_code == 0 and "OK (base KWJ" in result.output
    bad = tmp_path / "bad.toml"
    bad.write_text(MINIMAL + "[gsm]\nbaudrate = 1\n")
    result = CliRunner().invoke(cli, ["-c", str(bad), "config", "check"])
    assert result.exit_code == 1 and "[gsm] port: missing required value" in result.output


def test_config_check_validates_the_code_book(tmp_path):
    book = tmp_path / "codes.toml"
    book.write_text('[code.1]\ncategory = "x"\nseverity = "Huge"\nurgency = "Immediate"\n'
                    'label = { fr = "a", sw = "b", en = "c" }\n')
    path = write(tmp_path, MINIMAL + f'[codes]\nfile = "{book}"\n')
    result = CliRunner().invoke(cli, ["-c", str(path), "config", "check"])
    assert result.exit_code == 1 and "severity: expected one of Extreme" in result.output


def test_example_documents_every_panel_key():
    text = EXAMPLE.read_text()
    for field in dataclasses.fields(PanelConfig):
        assert f"\n{field.name} = " in text or f"\n# {field.name} = " in text, field.name
    panel = load_config(EXAMPLE).panel
    assert panel.pins()["buzzer"] == 18 and panel.long_press == 10.0


@pytest.mark.parametrize(("extra", "message"), [
    ("[panel]\nbuzzer = 40\n", "[panel] buzzer: expected a BCM GPIO number from 2 to 27"),
    ("[panel]\nalert = 17\nbuzzer = 17\n", "[panel] buzzer: expected a pin not already used by alert"),
    ('[panel]\nsilent_hours = "10pm-6am"\n', "[panel] silent_hours: expected a local time window"),
    ("[panel]\nlong_press = 0.2\n", "[panel] long_press: expected 1 to 60"),
    ('[panel]\nbutton = "25"\n', "[panel] button: expected an integer"),
])
def test_panel_errors(tmp_path, extra, message):
    with pytest.raises(ConfigError) as caught:
        load_config(write(tmp_path, MINIMAL + extra))
    assert message in str(caught.value)


@pytest.mark.parametrize(("hours", "time", "silent"), [
    ("22:00-06:00", "03:00", True), ("22:00-06:00", "21:59", False), ("22:00-06:00", "22:00", True),
    ("22:00-06:00", "06:00", False), ("12:00-14:00", "13:30", True), ("12:00-14:00", "14:00", False),
    (None, "03:00", False),
])
def test_silent_hours_window(hours, time, silent):
    moment = dt.datetime.fromisoformat(f"2026-11-24T{time}")
    assert PanelConfig(silent_hours=hours).is_silent(moment) is silent


def test_sbd_defaults_and_fallback_table(tmp_path):
    config = load_config(write(tmp_path, MINIMAL + '[sbd]\nport = "/dev/cangw-sbd"\n'))
    assert config.sbd.baudrate == 19200 and config.sbd.daily_credit_budget == 50
    assert [config.sbd.fallback_delay(s) for s in ("Extreme", "Severe", "Unknown", "Moderate",
                                                   "Minor")] == [300, 300, 300, 3600, None]
    only = load_config(write(tmp_path, MINIMAL + '[sbd]\nport = "x"\n'
                                                 'fallback_after = { Extreme = 60, Minor = 0 }\n'))
    assert only.sbd.fallback_after == {"Extreme": 60.0, "Minor": 0.0}  # only those go


@pytest.mark.parametrize(("extra", "message"), [
    ('fallback_after = 300\n', "[sbd] fallback_after: expected a table, got 300"),
    ('fallback_after = { Extrem = 60 }\n', "[sbd] fallback_after: expected a table of seconds"),
    ('fallback_after = { Extreme = "soon" }\n',
     "[sbd] fallback_after.Extreme: expected a number, got 'soon'"),
    ('fallback_after = { Severe = -1 }\n', "[sbd] fallback_after: expected a table of seconds"),
    ("daily_credit_budget = -5\n", "[sbd] daily_credit_budget: expected 0 (send nothing)"),
])
def test_sbd_errors_name_the_key(tmp_path, extra, message):
    with pytest.raises(ConfigError, match=re.escape(message)):
        load_config(write(tmp_path, MINIMAL + '[sbd]\nport = "x"\n' + extra))


def test_config_check_reads_the_satellite_command_key(tmp_path):
    path = write(tmp_path, MINIMAL + '[sbd]\nport = "x"\ncommand_key_file = "sbd.key"\n')
    result = CliRunner().invoke(cli, ["-c", str(path), "config", "check"])
    assert result.exit_code == 1 and "[sbd] command_key_file:" in result.output
    (tmp_path / "sbd.key").write_text("short")
    (tmp_path / "sbd.key").chmod(0o600)  # a key others can read is refused
    result = CliRunner().invoke(cli, ["-c", str(path), "config", "check"])
    assert result.exit_code == 1 and "at least 16 characters" in result.output
    (tmp_path / "sbd.key").write_text("0123456789abcdef0123456789abcdef\n")
    result = CliRunner().invoke(cli, ["-c", str(path), "config", "check"])
    assert result.exit_code == 0 and "links: sbd" in result.output


@pytest.mark.parametrize(("extra", "store", "message"), [
    ("", "/proc/cangw/gateway.db", "/proc/cangw/gateway.db: cannot open the store"),
    ('[codes]\nfile = "missing-codes.toml"\n', "gw.db", "missing-codes.toml: cannot read"),
    ("", "notes.txt", "notes.txt is not a SQLite database, so not a store: refusing to start"),
], ids=["store under /proc", "missing code book", "store path at someone's file"])
def test_a_start_up_failure_is_one_clear_line(tmp_path, extra, store, message):
    """Not a traceback: the real `cangw run` says what is wrong in one line and exits 1."""
    (tmp_path / "notes.txt").write_text("the generator's fuel, litres by day\n" * 20)
    config = write(tmp_path, MINIMAL.replace('"gw.db"', f'"{store}"') + extra)
    done = subprocess.run([sys.executable, "-m", "gateway", "-c", str(config), "run"],
                          capture_output=True, text=True, timeout=60)
    assert done.returncode == 1
    lines = [line for line in done.stderr.splitlines() if "gateway.daemon" not in line]
    assert len(lines) == 1 and lines[0].startswith("Error: ") and message in lines[0], done.stderr
