"""Many bases without modems, for headquarters' load: each has its own configuration and SQLite
store, commits alerts through the gateway's own pipeline (outbox rows included) and sends them
with the gateway's own MQTT worker (gateway/mqtt/service.py: the outbox, QoS 1, done on PUBACK,
the retained status and last will), all in this process.

`SimulatedBases(folder, sections)` with one `[mqtt]` section per base id; `start()`, then
`commit(n)` commits n alerts at every base (or `commit(n, ids)` at some) and wakes the workers
at once, as the pipeline does; `waiting()` counts what is not yet delivered; `stop()` ends the
workers as the daemon would (a last status "offline, shutdown").
"""

from __future__ import annotations

import itertools
import time
from pathlib import Path

from gateway.alerts.codes import CodeBook, load_codebook
from gateway.alerts.pipeline import Pipeline
from gateway.config import load_config
from gateway.mqtt.service import MqttService
from gateway.store import Store
from gateway.store.inbox import NewMessage
from gateway.workers import Notifier

TEXTS = ("2 Kamango", "8 Kamango", "1 Nobili", "7 Mutwanga", "3 Kasindi", "alerte 2", "hatari 3")


class SimulatedBase:
    def __init__(self, folder: Path, base_id: str, mqtt_section: str, codebook: CodeBook):
        folder.mkdir(parents=True, exist_ok=True)
        path = folder / "gateway.toml"
        path.write_text(f'[base]\nid = "{base_id}"\nname = "Simulated base {base_id}"\n\n'
                        f'[store]\npath = "gateway.db"\n{mqtt_section}', encoding="utf-8")
        self.id = base_id
        self.config = load_config(path)
        self.store = Store.open(self.config.store.path)
        self.pipeline = Pipeline(self.store, self.config, codebook)
        self.notifier = Notifier()
        self.worker = MqttService(self.config, codebook, self.notifier)
        self._senders = itertools.count(1)

    def commit(self, count: int) -> list[str]:
        """`count` alerts from as many senders, committed in one transaction; their ids."""
        uids = []
        with self.store.transaction():
            for _ in range(count):
                n = next(self._senders)
                message = NewMessage("sms", f"+2439{n:08d}", f"{TEXTS[n % len(TEXTS)]} {n}", time.time())
                uids.append(self.pipeline.record_message(message).uid)
        self.notifier("mqtt")
        return uids

    def waiting(self) -> int:
        return int(self.store.db.execute("SELECT COUNT(*) FROM outbox WHERE destination = 'mqtt'"
                                         " AND state = 'pending'").fetchone()[0])

    def committed_at(self) -> dict[str, float]:
        """Each alert's id and when it was committed (the pipeline's clock)."""
        return dict(self.store.db.execute("SELECT uid, created_at FROM alerts").fetchall())

    def close(self) -> None:
        self.store.close()


class SimulatedBases:
    def __init__(self, folder: Path, sections: dict[str, str]):
        codebook = load_codebook()
        self.bases = {base_id: SimulatedBase(folder / base_id, base_id, section, codebook)
                      for base_id, section in sections.items()}

    def start(self) -> SimulatedBases:
        for base in self.bases.values():
            base.worker.start()
        return self

    def commit(self, count: int, ids: list[str] | None = None) -> list[str]:
        return [uid for base_id in (ids or self.bases) for uid in self.bases[base_id].commit(count)]

    def waiting(self) -> int:
        return sum(base.waiting() for base in self.bases.values())

    def committed_at(self) -> dict[str, float]:
        return {uid: at for base in self.bases.values() for uid, at in base.committed_at().items()}

    def connected(self) -> int:
        return sum(1 for base in self.bases.values()
                   if base.worker.link is not None and base.worker.link.connected.is_set())

    def stop(self) -> None:
        for base in self.bases.values():
            base.worker.stop()
        for base in self.bases.values():
            base.worker.join(15)
            base.close()

    def __enter__(self) -> SimulatedBases:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()
