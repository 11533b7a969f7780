"""SIGKILL at random moments loses nothing and duplicates nothing, acknowledgements and a
broadcast alike (a few rounds; the long run is bench/kill_soak.py)."""

from __future__ import annotations

from gateway.sim.gsm_modem import SimulatedModem
from gateway.sim.harness import MqttListener
from gateway.sim.kill_rounds import report_json, run_rounds


def test_sigkill_at_random_moments_loses_and_duplicates_nothing(tmp_path, broker):
    with SimulatedModem(capacity=255, send_delay=0.05) as modem, \
            MqttListener(broker.port) as hq:
        report = run_rounds(tmp_path, modem, broker.port, hq, rounds=6, burst=8, seed=3,
                            broadcast=40)
    assert report.problems == [], report_json(report)
    assert report.kills == 6 and len(report.injected) == 48
    assert len(report.broadcast_to) == 40
