"""Control characters in stored text never reach the technician's terminal raw."""

from __future__ import annotations

import json
import unicodedata

import pytest
from click.testing import CliRunner

from gateway.alerts.codes import load_codebook
from gateway.alerts.pipeline import Pipeline
from gateway.cli import cli
from gateway.config import load_config
from gateway.gsm.sms_pdu import decode_deliver
from gateway.sim.deliver_pdu import build_deliver_pdus
from gateway.sim.harness import write_config
from gateway.store import Store, outbox
from gateway.store import links as link_status
from gateway.store import registry as reg
from tests.conftest import VILLAGES

# clear the screen, set the window title, a C1 CSI (red), a right-to-left override, a carriage
# return that would overwrite the line
HOSTILE = "\x1b[2J\x1b]0;owned\x07 \x9b31m \u202eenilno\u202c \rOK"


@pytest.fixture
def hostile(tmp_path):
    path = write_config(tmp_path, mqtt_port=1883)
    config = load_config(path)
    with Store.open(config.store.path) as store:
        reg.save_village(store, VILLAGES[0])
        reg.save_focal_point(store, reg.make_focal_point(store, "+243990000101",
                                                         "Kahindo" + HOSTILE, None, "fr", "+243"))
        pdu = build_deliver_pdus("+243990000102", "2 Kamango 3 " + HOSTILE, encoding="ucs2")[0]
        Pipeline(store, config, load_codebook()).ingest_sms(decode_deliver(pdu.hex))
        with store.transaction() as db:
            link_status.record(db, "gsm", "up", operator="VODACOM" + HOSTILE)
            row = db.execute("SELECT id FROM outbox WHERE destination = 'sms'").fetchone()[0]
            outbox.mark_attempt_failed(db, row, "+CMS ERROR: " + HOSTILE, 0.0)
    return path


def raw_controls(text: str) -> list[str]:
    """Characters a terminal would act on instead of showing (newlines and tabs aside)."""
    return [c for c in text if c not in "\n\t" and (unicodedata.category(c) in ("Cc", "Cf"))]


COMMANDS = [("alerts", "list"), ("alerts", "show", "KWJ-0001"), ("alerts", "export"),
            ("alerts", "export", "--format", "json"), ("outbox", "list"),
            ("outbox", "list", "--json"), ("focal", "list"), ("focal", "list", "--json"),
            ("status",), ("status", "--json"), ("alerts", "list", "--json")]


@pytest.mark.parametrize("command", COMMANDS, ids=" ".join)
def test_no_command_prints_a_control_character_raw(hostile, command):
    # color=True: as on a terminal, where click leaves escape sequences in
    result = CliRunner().invoke(cli, ["-c", str(hostile), *command], color=True)
    assert result.exit_code == 0, result.output
    assert raw_controls(result.output) == []
    assert "\\u001b[2J" in result.output  # shown, not hidden


def test_json_output_still_carries_the_text_exactly(hostile):
    result = CliRunner().invoke(cli, ["-c", str(hostile), "alerts", "list", "--json"])
    (alert,) = json.loads(result.output)
    assert alert["text"] == HOSTILE  # the escapes decode to the original
    assert alert["count"] == 3


def test_an_error_message_is_printable_too(hostile):
    result = CliRunner().invoke(cli, ["-c", str(hostile), "alerts", "show", "KWJ\x1b]0;x\x07"],
                                color=True)
    assert result.exit_code == 1 and "no alert KWJ\\u001b]0;x\\u0007" in result.output
    assert raw_controls(result.output) == []
