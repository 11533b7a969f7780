"""The satellite worker against the simulated 9602: fallback after `fallback_after`, most
severe first, within the daily credit budget, back-off on failures, commands from headquarters
with authentication and replay refusal, and the link's status."""

from __future__ import annotations

import json
import time
from contextlib import contextmanager

import pytest

from gateway.alerts.codes import load_codebook
from gateway.alerts.pipeline import Pipeline
from gateway.clock import ClockWatch
from gateway.config import load_config
from gateway.model import Village
from gateway.mqtt.service import MqttService
from gateway.sbd import commands, packed, policy, service
from gateway.sbd.packed import Message
from gateway.sbd.reply import StatusReply, decode_message
from gateway.sbd.service import SbdService
from gateway.sim.harness import query, wait_for, write_config
from gateway.sim.sbd_modem import SimulatedSbdModem
from gateway.store import Store
from gateway.store import registry as reg
from gateway.store.inbox import NewMessage
from gateway.workers import Notifier
from tests.conftest import VILLAGES
from tests.waiting import wait_for_turns

KEY = "k3y-for-tests-0123456789abcdef"
EXTREME, SEVERE, MINOR, MODERATE = "2 kamango", "1 nobili", "9 mutwanga", "7 nobili"


@pytest.fixture
def sim():
    with SimulatedSbdModem(session_time=0.05) as modem:
        yield modem


@pytest.fixture(autouse=True)
def quick_retries(monkeypatch):
    monkeypatch.setattr(service, "TURN", 0.2)  # a session each turn: a reply queued leaves soon
    monkeypatch.setattr(policy, "RETRY_STEPS", ((2, 0.2), (4, 0.5)))
    monkeypatch.setattr(policy, "RETRY_LONG", 1.0)
    monkeypatch.setattr(policy, "REGISTRATION_WAIT", 1.5)


def configure(tmp_path, port, extra="", mqtt_port=None, moderate_after=1):
    (tmp_path / "command.key").write_text(KEY + "\n")
    (tmp_path / "command.key").chmod(0o600)  # a key others can read is refused
    sbd = (f'\n[sbd]\nport = "{port}"\ncommand_key_file = "command.key"\nsession_timeout = 2\n'
           'fallback_after = { Extreme = 0, Severe = 0, Unknown = 0, '
           f'Moderate = {moderate_after} }}\n' + extra)
    config = load_config(write_config(tmp_path, mqtt_port=mqtt_port, extra=sbd))
    with Store.open(config.store.path) as store:
        for village in VILLAGES:
            reg.save_village(store, village)
        reg.save_focal_point(store, reg.make_focal_point(store, "+243990000101", "Kahindo Masika",
                                                         "12", "fr", "+243"))
    return config


def record(config, *texts, sender="+243990000101"):
    """Alerts as the GSM worker stores them; returns their ids."""
    with Store.open(config.store.path) as store:
        pipeline = Pipeline(store, config, load_codebook())
        uids = []
        for text in texts:
            with store.transaction():
                uids.append(pipeline.record_message(
                    NewMessage("sms", sender, text, time.time())).uid)
        return uids


def sbd_worker(config):
    return worker_running(SbdService(config, load_codebook(), Notifier()))


@contextmanager
def worker_running(worker):
    worker.start()
    try:
        yield worker
    finally:
        worker.stop()
        worker.notifier(worker.name)  # as the daemon does: no need to wait for its turn
        worker.join(15)
        assert not worker.is_alive()


def link(config):
    rows = query(config.store.path, "SELECT state, detail FROM link_status WHERE link = 'sbd'")
    return {"state": rows[0][0], **json.loads(rows[0][1])} if rows else {}


def sent_batches(sim) -> list[Message]:
    return [decode_message(message) for _, message in sim.sent if message[0] == packed.KIND]


def test_alerts_go_by_satellite_with_their_mqtt_ids_and_pseudonyms(tmp_path, sim):
    config = configure(tmp_path, sim.path)
    uids = record(config, EXTREME, "alerte 3 kamango 12 enfants pris", "bonjour la base")
    with sbd_worker(config):
        wait_for(lambda: sim.sent, 15, what="a satellite message")
        status = wait_for(lambda: link(config).get("last_session") and link(config), 10,
                          what="status recorded")
    (batch,) = sent_batches(sim)
    assert [batch.alert_id(a) for a in batch.alerts] == uids
    with Store.open(config.store.path) as store:
        pseudonym = store.pseudonymiser()("+243990000101")
    assert {a.sender for a in batch.alerts} == {pseudonym}
    assert [(a.code, a.village, a.count, a.text) for a in batch.alerts] == [
        ("2", 12, None, ""), ("3", 12, 12, "enfants pris"), (None, 12, None, "bonjour la base")]
    # their incidents travel with them: the attack and the abduction, and the unparsed report
    assert [(i.number, i.codes, i.alerts, i.state) for i in batch.incidents] == [
        (1, (2,), (1,), "open"), (2, (3,), (2,), "open"), (3, (), (3,), "open")]
    assert query(config.store.path, "SELECT state FROM outbox WHERE destination = 'sbd'") == [
        ("done",)] * 6
    credits, kind, result = query(config.store.path,
                                  "SELECT credits, kind, result FROM sbd_sessions")[0]
    assert credits == -(-len(sim.sent[0][1]) // 50) and kind == "alerts"
    assert result.startswith("sent: 3 alert(s)")
    assert status["state"] == "up" and status["signal"] == 4 and status["waiting"] == 0
    assert status["credits_used_today"] == credits and status["imei"] == "300234010753370"
    assert sim.mo_buffer == b""  # cleared after the session, so it is not sent again


def test_minor_alerts_never_go_and_others_wait_their_fallback(tmp_path, sim):
    config = configure(tmp_path, sim.path)
    record(config, MINOR, MODERATE)
    assert query(config.store.path, "SELECT COUNT(*) FROM outbox WHERE destination = 'sbd'"
                 " AND alert_id IS NOT NULL") == [(1,)]  # the Minor one has no satellite row
    started = time.time()
    with sbd_worker(config):
        wait_for(lambda: sim.sent, 15, what="the Moderate alert after its 1 s")
    assert time.time() - started >= 1.0
    assert [a.code for b in sent_batches(sim) for a in b.alerts] == ["7"]
    assert [i.codes for b in sent_batches(sim) for i in b.incidents] == [(7,)]


def test_what_mqtt_delivered_in_time_does_not_go(tmp_path, sim, broker):
    config = configure(tmp_path, sim.path, mqtt_port=broker.port)
    [delivered] = record(config, EXTREME)
    with worker_running(MqttService(config, load_codebook(), Notifier())):
        wait_for(lambda: query(config.store.path, "SELECT state FROM outbox"
                               " WHERE destination = 'sbd'") == [("done",)] * 2, 15,
                 what="the broker's acknowledgements to close the satellite rows")
    [waiting] = record(config, SEVERE)
    with sbd_worker(config):
        wait_for(lambda: sim.sent, 15, what="a satellite message")
    assert [b.alert_id(a) for b in sent_batches(sim) for a in b.alerts] == [waiting]
    assert delivered != waiting
    # the alert and its incident's first version went over MQTT; the second version did not
    assert query(config.store.path, "SELECT last_error FROM outbox WHERE destination = 'sbd'"
                 " ORDER BY id") == [("not needed: delivered over MQTT",)] * 2 + [(None,)] * 2


def turns(worker, count=3):
    """Let the worker take `count` more turns, woken for each: what it would send, it has."""
    wait_for_turns(worker, count, lambda: worker.notifier("sbd"))


def test_most_severe_first_and_never_beyond_the_budget(tmp_path, sim):
    # the Moderate alerts are due at once too: only severity decides
    config = configure(tmp_path, sim.path, "daily_credit_budget = 1\n", moderate_after=0)
    moderate = record(config, *[MODERATE] * 6, sender="+243990000555")
    extreme = [record(config, EXTREME, sender=f"+2439900006{n:02d}")[0] for n in range(6)]
    time.sleep(1.1)  # the Moderate alerts' fallback has passed too
    with sbd_worker(config) as worker:
        wait_for(lambda: sim.sent, 15, what="a satellite message")
        wait_for(lambda: link(config).get("credits_used_today") == 1, 10, what="status")
        turns(worker)  # nothing else goes today
    assert len(sim.sent) == 1 and len(sim.sent[0][1]) <= 50
    ids = [b.alert_id(a) for b in sent_batches(sim) for a in b.alerts]
    assert ids == extreme[:len(ids)] and len(ids) >= 3
    assert link(config)["waiting"] == 12 - len(ids)
    assert not set(ids) & set(moderate)


@pytest.mark.parametrize("status", [32, 35, 36])
def test_failed_sessions_back_off_and_nothing_is_marked_sent(tmp_path, sim, status):
    config = configure(tmp_path, sim.path)
    uids = record(config, EXTREME)
    sim.fault = status
    with sbd_worker(config):
        wait_for(lambda: len(sim.sessions) >= 2, 15, what="two failed sessions")
        assert query(config.store.path, "SELECT state FROM outbox WHERE destination = 'sbd'"
                     ) == [("pending",)] * 2  # the alert and its incident
        wait_for(lambda: link(config).get("state") == "failing", 10, what="failing state")
        assert f"MO status {status}" in link(config)["last_session"]
        sim.fault = None
        wait_for(lambda: sim.sent, 15, what="the message after the fault")
    assert [b.alert_id(a) for b in sent_batches(sim) for a in b.alerts] == uids
    gaps = [b.started_at - a.started_at for a, b in zip(*[iter(_starts(config))] * 2,
                                                            strict=False)]
    if status == 36:
        assert all(gap >= 1.5 for gap in gaps)  # three minutes, scaled for the test
    assert query(config.store.path, "SELECT SUM(credits) FROM sbd_sessions WHERE result LIKE"
                 " 'failed%'") == [(0,)]


def test_a_clock_step_back_does_not_hold_the_back_off(tmp_path, sim, monkeypatch):
    """The back-off is a wait on the monotonic clock: a failed session, then the wall clock
    a day back (the alert's own wait moved with it, as the daemon does), and the next try
    still comes after the back-off, not a day later."""
    config = configure(tmp_path, sim.path)
    wall, offset = time.time, [0.0]
    monkeypatch.setattr(time, "time", lambda: wall() + offset[0])
    watch = ClockWatch(config.store.path, 600.0)
    watch.start()
    try:
        uids = record(config, EXTREME)
        sim.fault = 32
        with sbd_worker(config):
            wait_for(lambda: sim.sessions, 15, what="a failed session")
            offset[0] = -86400.0
            watch.check()
            sim.fault = None
            wait_for(lambda: sim.sent, 10, what="the message after the back-off")
    finally:
        watch.stop()
    assert [b.alert_id(a) for b in sent_batches(sim) for a in b.alerts] == uids


def _starts(config):
    class Start:
        def __init__(self, started_at):
            self.started_at = started_at
    return [Start(t) for (t,) in query(config.store.path,
                                       "SELECT started_at FROM sbd_sessions ORDER BY id")]


def test_a_session_that_hangs_reopens_the_modem_and_sends_later(tmp_path, sim):
    config = configure(tmp_path, sim.path)
    record(config, EXTREME)
    sim.fault = "timeout"
    with sbd_worker(config):
        wait_for(lambda: query(config.store.path, "SELECT result FROM sbd_sessions"), 15,
                 what="the timed-out session recorded")
        sim.fault = None
        wait_for(lambda: sim.sent, 20, what="the message after the reopen")
    assert query(config.store.path, "SELECT result FROM sbd_sessions ORDER BY id")[0] == (
        "failed: session timed out",)
    assert sum(line == "AT+SBDMTA=1" for line in sim.commands) >= 2  # opened twice


def ping(counter, key=KEY, base="KWJ", number=commands.PING):
    return commands.sign(key.encode(), base, commands.Command(counter, number))


def test_a_ping_rings_and_is_answered_with_a_status_reply_once(tmp_path, sim):
    config = configure(tmp_path, sim.path)
    record(config, MINOR)  # not for the satellite: the status reply goes alone
    with sbd_worker(config) as worker:
        wait_for(lambda: link(config).get("state") == "up", 15, what="the link up")
        sim.queue_mt(ping(1_790_000_000))
        wait_for(lambda: sim.sent, 15, what="the status reply")
        (reply,) = [decode_message(message) for _, message in sim.sent]
        assert isinstance(reply, StatusReply)
        assert (reply.counter, reply.base, reply.signal, reply.last_seq) == (
            1_790_000_000, "KWJ", 4, 1)
        assert "sbd=up" in reply.links
        sim.queue_mt(ping(1_790_000_000))  # replayed
        sim.queue_mt(ping(1_790_000_001, key="another key, not the base's"))
        sim.queue_mt(ping(1_790_000_002, number=commands.BROADCAST))
        wait_for(lambda: sim.mt_queued == 0 and len(query(
            config.store.path, "SELECT id FROM sbd_commands")) == 4, 20, what="all commands")
        turns(worker)  # no reply to the refused ones
    assert len(sim.sent) == 1
    outcomes = query(config.store.path, "SELECT command, accepted, outcome FROM sbd_commands"
                                        " ORDER BY id")
    assert outcomes[0] == ("ping", 1, "status reply queued")
    assert outcomes[1][1:] == (0, "refused: replayed or out of order: counter 1790000000, "
                                  "last accepted 1790000000")
    assert outcomes[2][1] == 0 and "authentication failed" in outcomes[2][2]
    # a broadcast without its argument: accepted (its counter is spent), refused as malformed
    assert outcomes[3][:2] == ("broadcast", 1) and outcomes[3][2].startswith(
        "refused: not a broadcast")


def test_a_counter_far_ahead_cannot_lock_headquarters_out(tmp_path, sim):
    """A valid command with counter 2**32-1 is refused once a counter was accepted; a new key
    starts the counter afresh (docs/sbd-format.md, "Rotating the key")."""
    config = configure(tmp_path, sim.path)
    with sbd_worker(config):
        wait_for(lambda: link(config).get("state") == "up", 15, what="the link up")
        for counter in (1_790_000_000, 2**32 - 1, 1_790_000_100):
            sim.queue_mt(ping(counter))
        wait_for(lambda: len(sim.sent) == 2, 20, what="two status replies")
    assert [decode_message(m).counter for _, m in sim.sent] == [1_790_000_000, 1_790_000_100]
    assert "more than a year ahead" in query(config.store.path, "SELECT outcome FROM"
                                             " sbd_commands ORDER BY id")[1][0]
    (tmp_path / "command.key").write_text("a-new-key-after-the-rotation-0123\n")
    with sbd_worker(config):
        wait_for(lambda: link(config).get("state") == "up", 15, what="the link up")
        sim.queue_mt(ping(7, key="a-new-key-after-the-rotation-0123"))
        wait_for(lambda: len(sim.sent) == 3, 20, what="the reply to the new key's first ping")
    assert decode_message(sim.sent[2][1]).counter == 7


def test_without_a_key_every_command_is_refused(tmp_path, sim):
    config = configure(tmp_path, sim.path)
    (tmp_path / "command.key").unlink()
    with sbd_worker(config):
        wait_for(lambda: link(config).get("state") == "up", 15, what="the link up")
        sim.queue_mt(ping(5))
        wait_for(lambda: query(config.store.path, "SELECT outcome FROM sbd_commands"), 15,
                 what="the command recorded")
    assert query(config.store.path, "SELECT outcome FROM sbd_commands") == [
        ("refused: no command key configured",)]
    assert sim.sent == []


def test_status_shows_signal_credits_today_waiting_and_the_last_session(tmp_path, sim):
    from click.testing import CliRunner

    from gateway.cli import cli
    from gateway.store import links as link_status
    from gateway.store import sbd as sbd_store

    config = configure(tmp_path, sim.path, "daily_credit_budget = 20\n")
    record(config, EXTREME, MINOR)
    now = time.time()
    with Store.open(config.store.path) as store, store.transaction() as db:
        sbd_store.record_session(db, sbd_store.SessionRecord(
            now - 2 * 86400, "alerts", "sent: 30 alert(s)", 340, 7, 30))  # another day
        sbd_store.record_session(db, sbd_store.SessionRecord(
            now - 5, "alerts", "sent: 4 alert(s)", 140, 3, 4, 0, 12))
        link_status.record(db, "sbd", "up", port=sim.path, signal=4, last_session="sent: 4 "
                           "alert(s), 140 bytes, 3 credit(s), MOMSN 12")
    result = CliRunner().invoke(cli, ["-c", str(config.source), "status", "--json"])
    satellite = json.loads(result.output)["links"]["sbd"]
    assert (satellite["signal"], satellite["credits_used_today"], satellite["waiting"],
            satellite["daily_credit_budget"]) == (4, 3, 1, 20)
    assert satellite["last_session"].startswith("sent: 4 alert(s)")
    text = CliRunner().invoke(cli, ["-c", str(config.source), "status"]).output
    assert "sbd    up" in text and "credits_used_today=3" in text and "waiting=1" in text


def test_a_ring_during_an_outage_is_fetched_once_the_network_is_back(tmp_path, sim):
    config = configure(tmp_path, sim.path)
    with sbd_worker(config):
        wait_for(lambda: link(config).get("state") == "up", 15, what="the link up")
        sim.fault = 35
        sim.queue_mt(ping(42))
        wait_for(lambda: sim.sessions, 15, what="the failed answer to the ring")
        sim.fault = None  # the modem does not ring again: the worker must still go and fetch
        wait_for(lambda: sim.sent, 20, what="the status reply")
    assert sim.sessions[0].command == "AT+SBDIXA"
    assert decode_message(sim.sent[0][1]).counter == 42


@pytest.fixture
def long_backoff(monkeypatch):
    """Iridium's real back-off (minutes): a test that waits it out fails."""
    monkeypatch.setattr("gateway.sbd.service.retry_delay", lambda *_args, **_kw: 300.0)


@pytest.mark.parametrize("indications", [True, False], ids=["+CIEV", "AT+CSQ polled"])
def test_no_signal_is_waited_out_not_counted_as_failed_sessions(tmp_path, long_backoff,
                                                                 monkeypatch, indications):
    """At signal 0 the worker watches the signal and sends as soon as it returns."""
    monkeypatch.setattr("gateway.sbd.service.SIGNAL_POLL", 0.3, raising=False)
    with SimulatedSbdModem(session_time=0.05, signal=0, indications=indications) as sim:
        config = configure(tmp_path, sim.path)
        [uid] = record(config, EXTREME)
        with sbd_worker(config):
            wait_for(lambda: link(config).get("state") == "no_signal"
                     and link(config).get("waiting") == 1, 15, what="no_signal, one waiting")
            if not indications:
                polls = sim.commands.count("AT+CSQ")
                wait_for(lambda: sim.commands.count("AT+CSQ") >= polls + 2, 10,
                         what="the signal polled while the alert waits")
            sim.signal = 3
            wait_for(lambda: sim.sent, 5, what="the alert as soon as the signal returns")
        assert [b.alert_id(a) for b in sent_batches(sim) for a in b.alerts] == [uid]
        [(result,)] = query(config.store.path, "SELECT result FROM sbd_sessions")
        assert result.startswith("sent: 1 alert(s)")  # waiting for the sky was no session


def test_a_ring_cuts_the_back_off_short(tmp_path, sim, long_backoff):
    """A ring alert proves the network reaches the modem: fetch now, not in five minutes."""
    config = configure(tmp_path, sim.path)
    with sbd_worker(config):
        wait_for(lambda: link(config).get("state") == "up", 15, what="the link up")
        sim.fault = 35
        sim.queue_mt(ping(42))
        wait_for(lambda: link(config).get("state") == "failing", 15, what="a failed session")
        sim.fault = None
        sim.queue_mt(ping(43))  # rings again
        wait_for(lambda: sim.sent, 10, what="the status reply")
    assert [s.command for s in sim.sessions][:2] == ["AT+SBDIXA", "AT+SBDIXA"]


def test_the_signal_returning_cuts_the_back_off_short(tmp_path, sim, long_backoff):
    """Sessions failed for want of network (MO status 32); once the signal is seen to come
    back from 0 the worker tries at once."""
    config = configure(tmp_path, sim.path)
    record(config, EXTREME)
    sim.fault = 32
    with sbd_worker(config):
        wait_for(lambda: link(config).get("state") == "failing", 15, what="a failed session")
        sim.fault = None
        sim.signal = 0
        sim.signal = 2
        wait_for(lambda: sim.sent, 10, what="the alert once the signal returned")


def test_an_alert_the_format_cannot_carry_does_not_stop_the_others(tmp_path, sim):
    """A village numbered -1 (the CSV import takes it) cannot be written in the format: that
    alert's satellite row fails with the reason, and the others still go."""
    config = configure(tmp_path, sim.path)
    with Store.open(config.store.path) as store:
        reg.save_village(store, Village(-1, "Mbau"))
    [bad, good] = record(config, "2 mbau", EXTREME)
    with sbd_worker(config):
        wait_for(lambda: sim.sent, 15, what="the alert that can go")
    assert [b.alert_id(a) for b in sent_batches(sim) for a in b.alerts] == [good]
    [(state, error)] = query(config.store.path, "SELECT o.state, o.last_error FROM outbox o"
                             " JOIN alerts a ON a.id = o.alert_id WHERE a.uid = ? AND"
                             " o.destination = 'sbd'", [bad])
    assert state == "failed" and error.startswith("cannot go by satellite: -1 out of range")
