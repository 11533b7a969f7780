"""A base with villages a few kilometres apart, and a way to feed it reports at given times."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from gateway.alerts.codes import load_codebook
from gateway.alerts.pipeline import Pipeline
from gateway.config import load_config
from gateway.model import Village
from gateway.sim.harness import write_config
from gateway.store import Store
from gateway.store import registry as reg
from gateway.store.inbox import NewMessage

T0 = 1_795_000_000.0
MINUTE, HOUR = 60.0, 3600.0
# Kamango and Nobili 4.7 km apart, Nobili and Kasindi 4.7 km, Kamango and Kasindi 9.4 km;
# Mutwanga far away, Oicha without coordinates
VILLAGES = [Village(12, "Kamango", (), 0.65, 29.90), Village(31, "Nobili", (), 0.68, 29.93),
            Village(47, "Kasindi", (), 0.71, 29.96), Village(204, "Mutwanga", (), 0.20, 29.50),
            Village(58, "Oicha")]
FOCAL = {"+243990000101": ("Kahindo Masika", "12"), "+243990000102": ("Baraka Mumbere", "31"),
         "+243990000103": ("Grace Kavira", "47")}


class Base:
    """A store with the villages and three registered focal points, fed through the pipeline."""

    def __init__(self, folder: Path, extra: str = ""):
        self.config = load_config(write_config(folder, mqtt_port=1883, extra=extra))
        self.store = Store.open(self.config.store.path)
        for village in VILLAGES:
            reg.save_village(self.store, village)
        for phone, (name, village) in FOCAL.items():
            reg.save_focal_point(self.store, reg.make_focal_point(
                self.store, phone, name, village, "fr", "+243"))
        self.now = T0
        self.pipeline = Pipeline(self.store, self.config, load_codebook(), clock=lambda: self.now)

    def report(self, text: str, at: float = T0, sender: str | None = "+243990000101",
               channel: str = "sms"):
        self.now = max(self.now, at)
        with self.store.transaction():
            return self.pipeline.record_message(NewMessage(channel, sender, text, at))

    def incident_of(self, alert_id: int) -> int:
        return self.store.db.execute("SELECT incident_id FROM incident_alerts WHERE alert_id = ?",
                                     [alert_id]).fetchone()[0]

    def groups(self) -> list[set[str]]:
        """The alerts' texts, grouped by incident (incidents in order)."""
        found: dict[int, set[str]] = {}
        for incident, text in self.store.db.execute(
                "SELECT m.incident_id, a.text FROM incident_alerts m JOIN alerts a"
                " ON a.id = m.alert_id ORDER BY m.incident_id, a.id"):
            found.setdefault(incident, set()).add(text)
        return list(found.values())

    def published(self) -> list[dict]:
        """Every incident state queued for MQTT, in order."""
        return [json.loads(body) for (body,) in self.store.db.execute(
            "SELECT body FROM outbox WHERE destination = 'mqtt' AND recipient = 'incidents'"
            " ORDER BY id")]

    def close(self) -> None:
        self.store.close()


@pytest.fixture
def base(tmp_path):
    made = Base(tmp_path)
    yield made
    made.close()
