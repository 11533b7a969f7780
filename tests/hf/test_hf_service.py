"""The HF worker against a KISS TCP TNC and a text-mode radio on a pseudo-terminal: alerts,
acknowledgements within the frame budget, copies and echoes, garbage, reconnection."""

from __future__ import annotations

import json
import random
import sqlite3
import time
from contextlib import contextmanager

import pytest

from gateway.alerts.codes import load_codebook
from gateway.config import load_config
from gateway.hf import kiss
from gateway.hf import service as hf_service
from gateway.hf.ax25 import Address, UiFrame
from gateway.hf.intake import HfIntake
from gateway.hf.service import HfService
from gateway.sim.harness import query, wait_for, write_config
from gateway.sim.kiss_tnc import KissTcpTnc
from gateway.sim.pty_port import PtyPort
from gateway.store import outbox
from gateway.store import registry as reg
from gateway.workers import Notifier
from tests.acks import expected_ack
from tests.hf.test_hf_link import ui


def configure(tmp_path, port, extra=""):
    hf = f'\n[hf]\nport = "{port}"\ncallsign = "UNBASE"\n' + extra
    return load_config(write_config(tmp_path, extra=hf))


@contextmanager
def hf_worker(config):
    worker = HfService(config, load_codebook(), Notifier())
    worker.start()
    try:
        yield worker
    finally:
        worker.stop()
        worker.join(10)
        assert not worker.is_alive()


def alerts(db):
    return query(db, "SELECT ref, unseal(sender), code, village_name, registered, repeats,"
                     " unseal(text) FROM alerts ORDER BY id")


def link(db):
    rows = query(db, "SELECT state, detail FROM link_status WHERE link = 'hf'")
    return {"state": rows[0][0], **json.loads(rows[0][1])} if rows else {}


def wait_up(db):
    wait_for(lambda: link(db).get("state") == "up", 15, what="the HF link up")


def register_radio_focal_point(store):
    reg.save_focal_point(store, reg.make_focal_point(store, "-", "Mbusa Kakule", "12", "fr",
                                                     "+243", "9Q2KAM"))


def test_frames_become_alerts_and_acknowledgements_go_back_as_ui_frames(tmp_path, registered):
    register_radio_focal_point(registered)
    db = registered.path
    with KissTcpTnc() as tnc, hf_worker(configure(tmp_path, tnc.url)):
        tnc.wait_client()
        wait_up(db)  # pyserial drops what arrives while its socket opens
        tnc.send(ui("9Q2KAM-1", "ALERTE 2 KAMANGO 15\r\n") + ui("9Q5XYZ", "hatari 3"))
        wait_for(lambda: len(alerts(db)) == 2, 30, what="two alerts")
        frames = wait_for(lambda: len(tnc.frames) == 2 and tnc.frames, what="two ack frames")
    assert alerts(db) == [("KWJ-0001", "9Q2KAM-1", "2", "Kamango", 1, 1, ""),
                          ("KWJ-0002", "9Q5XYZ", "3", None, 0, 1, "")]
    acks = [UiFrame.decode(f.data) for f in frames]
    assert [(str(a.source), str(a.destination)) for a in acks] == [("UNBASE", "9Q2KAM-1"),
                                                                   ("UNBASE", "9Q5XYZ")]
    assert expected_ack("KWJ-0001", "fr", "2", "Kamango", radio=True).fullmatch(
        acks[0].info.decode())
    assert expected_ack("KWJ-0002", "sw", "3", radio=True).fullmatch(acks[1].info.decode())
    assert query(db, "SELECT destination, state FROM outbox") == [("hf", "done")] * 2
    assert link(db)["sent"] == 2 and link(db)["state"] == "stopped"


def test_garbage_never_stops_the_reader_and_is_counted(tmp_path, registered):
    db = registered.path
    noise = random.Random(5).randbytes(2000).replace(b"\xc0", b"\x00")
    bad_callsign = kiss.encode(bytes([0xFF] * 14) + b"\x03\xf0hello")
    connected_mode = kiss.encode(Address("A").encode(False) + Address("B").encode(True)
                                 + b"\x00\xf0hello")
    stream = [b"\x13\x37 half a frame", ui("9Q2KAM", "2 Kamango"), b"\xc0" * 500,
              b"\xc0\x00" + b"x" * 10_000 + b"\xc0", ui("9Q5XYZ", "6 Nobili"), bad_callsign,
              b"\xc0\x00\xdb\x41\xc0", b"\xc0" + noise + b"\xc0", connected_mode,
              ui("9Q2KAM", "x", port=1), ui("9Q2KAM", b"4 Mutwanga \xe9glise")]
    with KissTcpTnc() as tnc, hf_worker(configure(tmp_path, tnc.url)) as worker:
        tnc.wait_client()
        wait_up(db)  # pyserial drops what arrives while its socket opens
        for chunk in stream:
            tnc.send(chunk)
        wait_for(lambda: len(alerts(db)) == 3, what="the three good frames")
        status = wait_for(lambda: link(db).get("garbage") == 5 and link(db), what="counts")
        assert worker.is_alive() and status["state"] == "up"
    assert (status["heard"], status["ignored"], status["latin1"]) == (3, 2, 1)
    assert [(a[2], a[3]) for a in alerts(db)] == [("2", "Kamango"), ("6", "Nobili"),
                                                   ("4", "Mutwanga")]
    assert alerts(db)[2][6] == "église"


def test_own_transmissions_and_copies_do_not_raise_alerts(tmp_path, registered):
    db = registered.path
    with KissTcpTnc() as tnc, hf_worker(configure(tmp_path, tnc.url, "repeat_window = 2\n")):
        tnc.wait_client()
        wait_up(db)  # pyserial drops what arrives while its socket opens
        original = ui("9Q2KAM-1", "2 KAMANGO")
        digipeated = ui("9Q2KAM-1", "2 KAMANGO\r\n", digipeaters=(Address("RELAY", 0, True),))
        tnc.send(original + digipeated + ui("UNBASE", "KWJ-0001 Alerte recue") + original)
        wait_for(lambda: link(db).get("copies") == 2 and link(db).get("own") == 1,
                 what="two copies and one echo counted")
        assert [(a[0], a[5]) for a in alerts(db)] == [("KWJ-0001", 3)]
        first_heard = query(db, "SELECT received_at FROM alerts")[0][0]
        wait_for(lambda: time.time() > first_heard + 2.05, 10, what="the repeat window to pass")
        tnc.send(original)  # the same report after the window: a new alert
        wait_for(lambda: len(alerts(db)) == 2, what="a second alert")
        wait_for(lambda: len(tnc.frames) == 2, what="one acknowledgement each")


def test_acknowledgements_never_exceed_the_frame_budget_even_across_a_restart(tmp_path,
                                                                              registered):
    db = registered.path
    with KissTcpTnc() as tnc:
        config = configure(tmp_path, tnc.url, "frames_per_minute = 2\n")
        with hf_worker(config):
            tnc.wait_client()
            wait_up(db)  # pyserial drops what arrives while its socket opens
            tnc.send(b"".join(ui(f"9Q2KA{n}", f"{n} Kamango") for n in range(1, 5)))
            wait_for(lambda: len(alerts(db)) == 4 and len(tnc.frames) == 2, what="two acks")
            wait_for(lambda: link(db).get("sent") == 2, what="status counts")
        with hf_worker(config):
            tnc.wait_client(2)
            wait_up(db)
            tnc.send(ui("9Q2KAM", "9"))  # something to do, so the loop goes round
            wait_for(lambda: len(alerts(db)) == 5, what="a fifth alert")
        assert len(tnc.frames) == 2
    assert query(db, "SELECT state, COUNT(*) FROM outbox GROUP BY state ORDER BY state") == [
        ("done", 2), ("pending", 3)]
    # the most severe went first: code 2 (Extreme) then 3 (Extreme), not 4 (Severe)
    assert [UiFrame.decode(f.data).info[:8] for f in tnc.frames] == [b"KWJ-0002", b"KWJ-0003"]


@pytest.mark.parametrize("step", [-86400, 86400], ids=["back a day", "forward a day"])
def test_a_clock_step_neither_stalls_nor_renews_the_frame_budget(tmp_path, registered,
                                                                   monkeypatch, step):
    """The budget is counted on the monotonic clock: a day's step of the wall clock after two
    frames neither holds the third for a day nor lets it out before the period is over."""
    period, wall = 2.0, time.time
    monkeypatch.setattr(hf_service, "RATE_PERIOD", period)
    offset = [0.0]
    monkeypatch.setattr(time, "time", lambda: wall() + offset[0])
    db = registered.path
    with KissTcpTnc() as tnc, hf_worker(configure(tmp_path, tnc.url, "frames_per_minute = 2\n")):
        tnc.wait_client()
        wait_up(db)
        tnc.send(ui("9Q2KA1", "1 Kamango") + ui("9Q2KA2", "2 Kamango"))
        wait_for(lambda: len(tnc.frames) == 2, what="two acknowledgements")
        first = time.monotonic()
        offset[0] = step
        tnc.send(ui("9Q2KA3", "3 Kamango"))
        wait_for(lambda: len(tnc.frames) == 3, period + 5, what="the third acknowledgement")
        third = time.monotonic()
    assert period - 0.5 <= third - first <= period + 2


def test_a_tnc_that_closes_the_connection_is_reconnected(tmp_path, registered):
    db = registered.path
    with KissTcpTnc() as tnc, hf_worker(configure(tmp_path, tnc.url)):
        tnc.wait_client()
        wait_up(db)
        tnc.drop()
        wait_for(lambda: link(db).get("state") == "down", what="the link seen down")
        assert "disconnected" in link(db)["error"]
        tnc.wait_client(2)
        wait_up(db)
        tnc.send(ui("9Q2KAM", "2 Kamango"))
        wait_for(lambda: len(alerts(db)) == 1, what="an alert after reconnecting")


def test_text_mode_radio_lines_acks_and_an_unplugged_port(tmp_path, registered):
    register_radio_focal_point(registered)
    db = registered.path
    path = tmp_path / "radio"
    extra = ('mode = "text"\nack_command = \'STATUSCALL={sender},"{text}"\'\n'
             'ignore_pattern = "^OK$"\n')
    radio = PtyPort(9600, link=path)
    try:
        with hf_worker(configure(tmp_path, str(path), extra)):
            wait_up(db)
            radio.write(b"9Q2KAM: 2 KAMANGO\r\nCHANNEL 2 SELECTED\r\nOK\r\n")
            wait_for(lambda: len(alerts(db)) == 2, what="two alerts")
            command = b""
            while not command.endswith(b"\r"):
                command += wait_for(lambda: radio.read(0.1), what="the ack command")
            radio.write(command + b"\n")  # a radio with echo on prints it back
            radio.close()  # unplugged
            wait_for(lambda: link(db).get("state") == "down", what="the port seen down")
            radio = PtyPort(9600, link=path)
            wait_up(db)
            radio.write(b"9Q2KAM: 9\r\n")
            wait_for(lambda: len(alerts(db)) == 3, what="an alert after re-plugging")
    finally:
        radio.close()
    call, _, text = command.decode().partition(",")
    assert call == "STATUSCALL=9Q2KAM" and text.startswith('"') and text.endswith('"\r')
    assert expected_ack("KWJ-0001", "fr", "2", "Kamango", radio=True).fullmatch(text[1:-2])
    assert [(a[1], a[2], a[6]) for a in alerts(db)] == [
        ("9Q2KAM", "2", ""), (None, None, "CHANNEL 2 SELECTED"), ("9Q2KAM", "9", "")]
    assert query(db, "SELECT COUNT(*) FROM outbox WHERE destination = 'hf'") == [(2,)]


def test_messages_the_store_refuses_are_kept_in_order_until_it_works(tmp_path, registered,
                                                                     monkeypatch):
    db = registered.path
    real_take, broken, attempts = HfIntake.take, [True], []

    def flaky(self, heard, received_at):
        if broken[0]:
            attempts.append(heard.text)
            raise sqlite3.OperationalError("disk I/O error")
        return real_take(self, heard, received_at)

    monkeypatch.setattr(HfIntake, "take", flaky)
    monkeypatch.setattr(hf_service, "STORE_RETRY", 0.3)
    with KissTcpTnc() as tnc, hf_worker(configure(tmp_path, tnc.url)):
        tnc.wait_client()
        wait_up(db)  # pyserial drops what arrives while its socket opens
        tnc.send(ui("9Q2KAM", "2 Kamango") + ui("9Q2KAM", "6 Nobili"))
        wait_for(lambda: link(db).get("backlog") == 2, what="two messages held")
        tnc.send(ui("9Q2KAM", "9"))
        wait_for(lambda: link(db).get("backlog") == 3, what="a third one held behind them")
        wait_for(lambda: len(attempts) >= 3, what="retries")
        broken[0] = False
        wait_for(lambda: len(alerts(db)) == 3, what="all three stored once the store works")
        wait_for(lambda: link(db).get("backlog") == 0, what="the backlog empty")
    assert set(attempts) == {"2 Kamango"}  # the oldest is retried first, nothing skipped
    assert [a[2] for a in alerts(db)] == ["2", "6", "9"]  # in the order heard


def test_an_acknowledgement_that_cannot_be_addressed_fails_without_stopping_the_link(
        tmp_path, registered, caplog):
    db = registered.path
    with registered.transaction() as store_db:
        outbox.enqueue(store_db, "hf", 0, time.time(), recipient="Not a station", body="x")
    with KissTcpTnc() as tnc, hf_worker(configure(tmp_path, tnc.url)) as worker:
        tnc.wait_client()
        wait_for(lambda: query(db, "SELECT state, attempts FROM outbox") == [("failed", 1)],
                 what="the row failed at once")
        tnc.send(ui("9Q2KAM", "2 Kamango"))
        wait_for(lambda: len(tnc.frames) == 1, what="the next acknowledgement still sent")
        assert worker.is_alive()
    assert "Not a station" not in caplog.text
