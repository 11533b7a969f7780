"""SIGKILL at random moments loses nothing and duplicates nothing, acknowledgements and a
broadcast alike (a few rounds; the long run is bench/kill_soak.py)."""

from __future__ import annotations

from gateway.sim.gsm_modem import SimulatedModem
from gateway.sim.harness import MqttListener
from gateway.sim.kill_rounds import report_json, run_rounds


def test_sigkill_at_random_moments_loses_and_duplicates_nothing(tmp_path, broker):
    """Bursts larger than the SIM, landing on sweeps and on deletes, from a network that
    delivers with no spacing and a modem that says nothing when its SIM is full (a SIM800);
    a broadcast to 40 focal points leaving between the acknowledgements."""
    with SimulatedModem(capacity=5, send_delay=0.05) as modem, \
            MqttListener(broker.port) as hq:
        modem.full_notice(None)
        report = run_rounds(tmp_path, modem, broker.port, hq, rounds=6, burst=20, seed=3,
                            broadcast=40)
    assert report.problems == [], report_json(report)
    assert report.kills == 6 and len(report.injected) == 120
    assert report.lost == report.duplicated == report.deleted_unread == 0
    assert len(report.broadcast_to) == 40
