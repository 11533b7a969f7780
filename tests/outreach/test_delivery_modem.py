"""Status reports as each modem profile routes them, through the GSM worker and the simulated
modem: on the line (+CDS, a SIM800) or stored on the SIM (+CDSI, a Huawei stick) and then
deleted, also when the notice is lost (the storage sweep finds them)."""

from __future__ import annotations

import pytest

from gateway.outreach import compose
from gateway.outreach.templates import load_book
from gateway.sim.harness import query, wait_for
from tests.outreach.conftest import make_base


@pytest.mark.parametrize(("profile", "ds", "notices"), [
    ("sim800", 1, True), ("huawei_e3372", 2, True), ("huawei_e3372", 2, False)])
def test_reports_reach_the_base_however_the_modem_routes_them(tmp_path, modem, profile, ds,
                                                              notices):
    extra = f'\n[calls]\nprofile = "{profile}"\n[outreach]\nsms_per_minute = 6000\n'
    config, store = make_base(tmp_path, extra, modem.path)
    with store:
        compose.send(store, config, compose.draft(load_book(), "zone:north AND channel:sms",
                                                  template=6), "duty", "cli")
    modem.notifications(notices)
    with gsm_worker_on(config):
        wait_for(lambda: query(config.store.path, "SELECT state FROM broadcast_recipients"
                                                  " WHERE state != 'delivered'") == [], 20,
                 what="every recipient delivered")
        wait_for(lambda: not modem.stored, 10, what="the stored reports deleted")
    assert modem.state.cnmi[3] == ds and len(modem.reports_sent) == 4
    assert query(config.store.path, "SELECT COUNT(*) FROM messages") == [(0,)]  # no alert


def gsm_worker_on(config):
    """The daemon's GSM worker on this base's config and store."""
    from contextlib import contextmanager

    from gateway.alerts.codes import load_codebook
    from gateway.gsm.service import GsmService
    from gateway.workers import Notifier

    @contextmanager
    def running():
        worker = GsmService(config, load_codebook(), Notifier())
        worker.start()
        try:
            yield worker
        finally:
            worker.stop()
            worker.join(30)
    return running()


