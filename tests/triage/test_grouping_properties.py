"""Properties of the grouping rule: within a window the order reports arrive in does not change
the incidents, and every alert is in exactly one incident whatever happens."""

from __future__ import annotations

import shutil
import tempfile
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.triage.conftest import MINUTE, T0, Base

# mostly related categories at a chain of villages (Kamango - Nobili - Kasindi, each within
# 5 km of the next only), where the order could matter; a few others, far or without coordinates
CODES = ["1", "2", "2", "4", "6", "7", "9"]
PLACES = ["kamango", "kasindi", "nobili", "kamango", "kasindi", "mutwanga", "oicha"]
SENDERS = ["+243990000101", "+243990000102", "+243990000103", "+243997770001", None]

report = st.tuples(st.sampled_from(CODES), st.sampled_from(PLACES), st.sampled_from(SENDERS),
                   st.integers(0, 120))  # within 2 hours: every window is longer
reports = st.lists(report, min_size=1, max_size=9)


@pytest.fixture(scope="module")
def template(tmp_path_factory) -> Path:
    """A migrated store to start each example from (migrating is most of an example's time)."""
    folder = tmp_path_factory.mktemp("template")
    Base(folder).close()
    return folder / "gateway.db"


def grouping(template: Path, items: list[tuple[str, str, str | None, int]],
             order: list[int]) -> set[frozenset]:
    """The incidents (as sets of report numbers) when the reports arrive in `order`."""
    with tempfile.TemporaryDirectory() as folder:
        shutil.copyfile(template, Path(folder) / "gateway.db")
        base = Base(Path(folder))
        try:
            for index in order:
                code, place, sender, minutes = items[index]
                base.report(f"{code} {place} r{index}", T0 + minutes * MINUTE, sender)
            db = base.store.db
            alerts = db.execute("SELECT COUNT(*) FROM alerts").fetchone()[0]
            filed = db.execute("SELECT COUNT(DISTINCT alert_id) FROM incident_alerts"
                               " JOIN incidents i ON i.id = incident_id"
                               " WHERE i.state != 'merged'").fetchone()[0]
            assert alerts == filed == len(items)  # every alert in exactly one live incident
            assert db.execute("SELECT COUNT(*) FROM incidents WHERE state = 'merged' AND id IN"
                              " (SELECT incident_id FROM incident_alerts)").fetchone()[0] == 0
            return {frozenset(group) for group in base.groups()}
        finally:
            base.close()


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(items=reports, data=st.data())
def test_the_order_of_arrival_within_a_window_does_not_change_the_incidents(template, items,
                                                                            data):
    order = data.draw(st.permutations(range(len(items))))
    assert grouping(template, items, list(range(len(items)))) == \
        grouping(template, items, list(order))
