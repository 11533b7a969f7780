"""The headquarters bridge against forged and replayed posts: no start without a secret, each
modem only for its own base, no base it does not know, and no alert published twice."""

from __future__ import annotations

import subprocess
import sys

import pytest
from click.testing import CliRunner

from gateway.cli import cli
from gateway.sbd.batch import SatAlert, encode_batch
from gateway.sbd.reply import StatusReply, encode_reply
from gateway.sim.broker import free_port
from gateway.sim.harness import MqttListener, query, wait_for
from tests.hq.test_hq_bridge import (
    ALERTS,
    IMEI,
    _health,
    delivery,
    post,
    running_bridge,
    write_hq_config,
)

OTHER_IMEI = "300234010753999"
BNI = f'\n[[base]]\nid = "BNI"\nimeis = ["{OTHER_IMEI}"]\n'


def start(config):
    """`cangw hq-bridge` expected to refuse to start: (exit code, output)."""
    done = subprocess.run([sys.executable, "-m", "gateway", "hq-bridge", "-c", str(config)],
                          capture_output=True, text=True, timeout=20)
    return done.returncode, done.stdout + done.stderr


@pytest.mark.parametrize("secret_line", ["", 'secret_file = "empty"', 'secret_file = "short"'],
                         ids=["no secret_file", "empty secret", "short secret"])
def test_the_bridge_will_not_start_without_a_secret(tmp_path, secret_line):
    for name, text in (("empty", "\n"), ("short", "1234\n")):
        (tmp_path / name).write_text(text)
        (tmp_path / name).chmod(0o600)  # private, as a secret must be: what is refused is its length
    code, output = start(write_hq_config(tmp_path, free_port(), free_port(),
                                         secret_line=secret_line))
    assert code != 0
    assert "secret_file" in output and "allow_unauthenticated" in output


def test_without_a_secret_only_on_loopback_and_said_loudly(tmp_path, broker):
    config = write_hq_config(tmp_path, broker.port, free_port(), secret_line="")
    text = config.read_text().replace('host = "127.0.0.1"', 'host = "0.0.0.0"\n'
                                      'allow_unauthenticated = true')
    config.write_text(text)
    code, output = start(config)
    assert code != 0 and "allow_unauthenticated" in output and "127.0.0.1" in output
    port = free_port()
    config = write_hq_config(tmp_path, broker.port, port, secret_line="",
                             extra="allow_unauthenticated = true")
    with MqttListener(broker.port) as listener, running_bridge(config):
        wait_for(lambda: _health(port), 15, what="the bridge listening")
        assert _health(port)["authenticated"] is False
        fields = delivery()
        del fields["secret"]
        assert post(port, fields) == (200, "OK\n")
        wait_for(lambda: len(listener.json_on("KWJ/alerts")) == 3, 15, what="the alerts")
    log = (tmp_path / "bridge.log").read_text()
    assert "WITHOUT AUTHENTICATION" in log


@pytest.fixture
def two_bases(tmp_path, broker):
    port = free_port()
    config = write_hq_config(tmp_path, broker.port, port, bases=BNI)
    with MqttListener(broker.port) as listener, running_bridge(config):
        wait_for(lambda: _health(port), 15, what="the bridge listening")
        assert _health(port)["authenticated"] is True
        yield port, listener, tmp_path / "hq.db"


def reply_from(base, counter=1_789_999_990, time=1_790_000_000):
    return encode_reply(StatusReply(base, "71b6", time, counter, 3, 12, 50, 2, 5, 204,
                                    "gsm=up mqtt=down sbd=up"))


def test_a_modem_posts_only_for_its_own_base(two_bases):
    port, listener, db = two_bases
    forged = [  # (fields, the reason the bridge gives)
        (delivery(momsn=1, imei=OTHER_IMEI), "imei 300234010753999 belongs to base BNI, "
                                             "the message says KWJ"),
        (delivery(momsn=2, data=encode_batch("XYZ", "71b6", ALERTS)),
         "base XYZ is not one of this bridge's bases"),
        (delivery(momsn=3, data=reply_from("XYZ")), "base XYZ is not one of this bridge's"),
        (delivery(momsn=4, data=reply_from("KWJ"), imei=OTHER_IMEI), "imei 300234010753999 "
                                                                      "belongs to base BNI"),
        (delivery(momsn=5, imei="300234010750000"), "imei 300234010750000 is not the modem "
                                                    "of any base"),
    ]
    for fields, reason in forged:
        status, answer = post(port, fields)
        assert status == 403 and answer.startswith(reason), (answer, reason)
    assert post(port, delivery(momsn=6)) == (200, "OK\n")
    assert post(port, delivery(momsn=7, data=reply_from("BNI"), imei=OTHER_IMEI))[0] == 200
    wait_for(lambda: len(listener.json_on("BNI/events")) == 1, 15, what="BNI's status")
    wait_for(lambda: len(listener.json_on("KWJ/alerts")) == 3, 15, what="KWJ's alerts")
    assert listener.json_on("XYZ/alerts") == listener.json_on("XYZ/events") == []
    assert listener.json_on("KWJ/events") == []  # the forged status reply for KWJ
    # the refused ones are kept for a person to look at, never published
    wait_for(lambda: query(db, "SELECT momsn, state FROM deliveries ORDER BY momsn") == [
        (1, "refused"), (2, "refused"), (3, "refused"), (4, "refused"), (6, "published"),
        (7, "published")], 15, what="the refused kept apart, the others published")


def test_alerts_posted_again_under_a_new_momsn_are_not_published_again(two_bases):
    port, listener, db = two_bases
    assert post(port, delivery(momsn=7)) == (200, "OK\n")
    assert post(port, delivery(momsn=8)) == (200, "OK (alerts already received)\n")
    overlapping = encode_batch("KWJ", "71b6", [*ALERTS[1:], SatAlert(
        seq=197, received_at=1_790_000_100, code="3", village=12, sender="fp-ef6f0623a3")])
    assert post(port, delivery(momsn=9, data=overlapping)) == (200, "OK\n")
    assert post(port, delivery(momsn=10, data=reply_from("KWJ"))) == (200, "OK\n")
    assert post(port, delivery(momsn=11, data=reply_from("KWJ", time=1_790_000_060))) == (
        200, "OK (alerts already received)\n")  # the same ping answered again
    assert post(port, delivery(momsn=12, data=reply_from("KWJ", counter=1_790_000_500))) == (
        200, "OK\n")
    wait_for(lambda: len(listener.json_on("KWJ/events")) == 2, 15, what="two status events")
    alerts = listener.json_on("KWJ/alerts")
    assert [a["id"] for a in alerts] == ["KWJ-71b6-193", "KWJ-71b6-195", "KWJ-71b6-196",
                                         "KWJ-71b6-197"]
    assert [e["ping_counter"] for e in listener.json_on("KWJ/events")] == [
        1_789_999_990, 1_790_000_500]
    wait_for(lambda: query(db, "SELECT momsn, state FROM deliveries ORDER BY momsn") == [
        (7, "published"), (8, "duplicate"), (9, "published"), (10, "published"),
        (11, "duplicate"), (12, "published")], 15, what="the states")


@pytest.mark.parametrize("extra, bases, error", [
    ("", f'\n[[base]]\nid = "BNI"\nimeis = ["{IMEI}"]\n', f"{IMEI} is already the modem of base KWJ"),
    ("", f'\n[[base]]\nid = "KWJ"\nimeis = ["{OTHER_IMEI}"]\n', "base KWJ has two tables"),
    ("", '\n[[base]]\nid = "BNI"\nimeis = []\n', "[base 2] imeis: expected the IMEIs"),
    ("", '\n[[base]]\nid = "BNI"\nimeis = ["\u0663\u0663"]\n', "[base 2] imeis: expected"),
    (f'imeis = ["{IMEI}"]', "", "[http] imeis: each [[base]] lists its own modems"),
    ("request_timeout = 0", "", "[http] request_timeout: expected seconds"),
])
def test_configurations_that_would_let_a_modem_speak_for_another_base(tmp_path, extra, bases,
                                                                      error):
    result = CliRunner().invoke(cli, ["hq-bridge", "-c", str(
        write_hq_config(tmp_path, 1883, free_port(), extra=extra, bases=bases))])
    assert result.exit_code != 0 and error in result.output, result.output
