"""The daily network figures: queued once a local day from `network_at`, published retained
through the real broker, and counts only (no name, number or pseudonym of anyone)."""

from __future__ import annotations

import datetime as dt
import json

from gateway.alerts.codes import load_codebook
from gateway.config import load_config
from gateway.model import Village
from gateway.mqtt.service import MqttService
from gateway.sim.harness import MqttListener, wait_for
from gateway.store import registry as reg
from gateway.triage.service import WatchService
from gateway.triage.watch import SilenceWatch
from gateway.workers import Notifier
from tests.sbd.test_sbd_service import worker_running
from tests.triage.conftest import Base

ZONE = dt.timezone(dt.timedelta(hours=2))


def local(day: int, hour: int, minute: int = 0) -> float:
    """A local time in November 2025: past, so that what is queued then is due now."""
    return dt.datetime(2025, 11, day, hour, minute, tzinfo=ZONE).timestamp()


def rows(base: Base) -> list[dict]:
    return [json.loads(b) for (b,) in base.store.db.execute(
        "SELECT body FROM outbox WHERE recipient = 'network' ORDER BY id")]


def test_the_network_figures_go_once_a_day_retained_and_name_nobody(tmp_path, broker):
    base = Base(tmp_path, "")
    config_text = base.config.source.read_text().replace("port = 1883", f"port = {broker.port}")
    base.config.source.write_text(config_text)
    for number, name in ((12, "Kamango"), (31, "Nobili")):
        found = reg.find_village(base.store, str(number))
        reg.save_village(base.store, Village(number, name, (), found.lat, found.lon, "Beni"))
    for n in range(5):
        reg.save_focal_point(base.store, reg.make_focal_point(
            base.store, f"+24399111000{n}", f"Neema Kahindo {n}", "12", "fr", "+243",
            profile=reg.Profile.read("f", "youth", None)))
    base.report("2 kamango", local(20, 9), "+243991110000")
    config = load_config(base.config.source)
    watch = WatchService(config, load_codebook(), Notifier())
    watch.open_store()
    watch.watch = SilenceWatch(watch.store, config)
    try:
        watch.turn(local(21, 5, 59))
        assert rows(base) == []
        watch.turn(local(21, 6, 1))
        watch.turn(local(21, 18))
        assert len(rows(base)) == 1
        watch.turn(local(22, 6, 0))
        figures = rows(base)
        assert len(figures) == 2
    finally:
        watch.close_store()
    latest = figures[-1]
    beni = next(z for z in latest["zones"] if z["zone"] == "Beni")
    assert (beni["villages"], beni["focal_points"], beni["women"], beni["youth"]) == (2, 7, 5, 5)
    kamango = next(v for v in latest["villages"] if v["number"] == 12)
    assert (kamango["reports_30d"], kamango["focal_points"], kamango["silent"]) == (1, 6, False)
    text = json.dumps(latest)
    assert "Neema" not in text and "+243" not in text and "fp-" not in text
    assert "women" not in json.dumps(latest["villages"])  # by zone only

    with worker_running(MqttService(config, load_codebook(), Notifier())):
        wait_for(lambda: base.store.db.execute(
            "SELECT COUNT(*) FROM outbox WHERE recipient = 'network' AND state = 'done'"
        ).fetchone()[0] == 2, 15, what="the figures published")
    with MqttListener(broker.port, "can/v1/KWJ/network") as late:
        retained = wait_for(lambda: late.messages, 10, what="the retained figures")
    assert retained[-1][2] is True and json.loads(retained[-1][1]) == latest
    base.close()
