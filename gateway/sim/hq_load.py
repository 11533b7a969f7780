"""Headquarters under load on this machine, for tests/hq/test_hq_proof.py and bench/hq_collect.py:
the three-node cluster, `cangw hq-collect`, real gateways (`cangw run` with a simulated modem, SMS
in) and simulated bases (gateway/sim/bases.py: the gateway's own outbox and MQTT worker), each
base's node list starting at another node so that every node holds some bases.

`with HqSite(folder, real=2, simulated=20) as site:` starts everything and waits until every base
is connected; `site.burst(...)` makes alerts at every base over some seconds (calling `midway`
halfway through); the faults: `kill_stream_leader()`, `restart_node()`, `rolling_restart()`,
`kill_collector()`, `start_collector()`; then `wait_settled()` until every outbox is drained,
headquarters holds every alert and every base is online again. Every process is stopped by its
PID at the end.
"""

from __future__ import annotations

import contextlib
import sqlite3
import threading
import time
from collections.abc import Callable
from pathlib import Path

from gateway.hq import views
from gateway.hq.cluster import HqCluster
from gateway.sim.bases import TEXTS, SimulatedBases
from gateway.sim.gsm_modem import SimulatedModem
from gateway.sim.harness import DaemonProcess, link_state, query, wait_for, write_config
from gateway.sim.hq_site import CollectorProcess, base_mqtt, write_hq_config


def streams_current(cluster: HqCluster) -> bool:
    """Whether every JetStream stream (MQTT's sessions, retained messages, messages) has a
    leader that sees its two other replicas current."""
    led: dict[str, bool] = {}
    for node in cluster.nodes:
        if not node.is_ours():
            return False
        try:
            details = node.monitor("/jsz?accounts=true&streams=true")
        except (OSError, ValueError):
            return False
        for account in details.get("account_details") or []:
            for stream in account.get("stream_detail") or []:
                group = stream.get("cluster") or {}
                led.setdefault(stream["name"], False)
                if group.get("leader") == node.address.name:
                    replicas = group.get("replicas") or []
                    led[stream["name"]] = len(replicas) == 2 and all(r.get("current") for r in replicas)
    return bool(led) and all(led.values())


class HqSite:
    def __init__(self, folder: Path, real: int, simulated: int, silent_after: float = 20.0,
                 ack_wait: float = 3.0, status_interval: float = 5.0):
        self.folder = folder
        self.real_ids = [f"GW{n}" for n in range(1, real + 1)]
        self.simulated_ids = [f"S{n:03d}" for n in range(1, simulated + 1)]
        self.base_ids = self.real_ids + self.simulated_ids
        self.silent_after = silent_after
        self.cluster = HqCluster(folder / "cluster", self.base_ids)
        self.ack_wait = ack_wait
        self.status_interval = status_interval
        self.modems: dict[str, SimulatedModem] = {}
        self.daemons: dict[str, DaemonProcess] = {}
        self.bases: SimulatedBases | None = None
        self.collector: CollectorProcess | None = None
        self.hq_config = folder / "hq" / "hq.toml"
        self._stack = contextlib.ExitStack()
        self._sms = 0

    # -- starting and stopping ------------------------------------------------------------
    def __enter__(self) -> HqSite:
        try:
            self._start()
        except BaseException:
            self._stack.close()
            raise
        return self

    def __exit__(self, *exc: object) -> None:
        self._stack.close()

    def _start(self) -> None:
        self._stack.enter_context(self.cluster)
        (self.folder / "hq").mkdir(parents=True, exist_ok=True)
        write_hq_config(self.folder / "hq", self.cluster, self.base_ids, self.silent_after,
                        self.ack_wait)
        self.start_collector()
        self._stack.callback(lambda: self.collector.stop() if self.collector else None)
        for index, base_id in enumerate(self.real_ids):
            modem = self._stack.enter_context(SimulatedModem(capacity=255))
            folder = self.folder / base_id
            folder.mkdir()
            config = write_config(folder, modem.path, base_id=base_id,
                                  extra=self._mqtt(base_id, index))
            self.modems[base_id] = modem
            self.daemons[base_id] = self._stack.enter_context(DaemonProcess(config))
        sections = {base_id: self._mqtt(base_id, index)
                    for index, base_id in enumerate(self.simulated_ids, len(self.real_ids))}
        self.bases = self._stack.enter_context(SimulatedBases(self.folder / "simulated", sections))
        wait_for(self.all_connected, timeout=90, interval=0.2, what="every base connected")

    def _mqtt(self, base_id: str, index: int) -> str:
        return base_mqtt(self.cluster, base_id, index % len(self.cluster.nodes), self.status_interval)

    def start_collector(self) -> None:
        self.collector = CollectorProcess(self.hq_config)
        self.collector.start()
        wait_for(lambda: "reading $MQTT.msgs" in self._collector().log, timeout=60,
                 what="the collector's consumer")

    def kill_collector(self) -> None:
        self._collector().kill()

    def stop_collector(self) -> None:
        self._collector().stop()

    @property
    def collector_pid(self) -> int:
        return self._collector().pid

    def _collector(self) -> CollectorProcess:
        assert self.collector is not None
        return self.collector

    @property
    def simulated(self) -> SimulatedBases:
        assert self.bases is not None
        return self.bases

    # -- where things are -----------------------------------------------------------------
    def store(self, base_id: str) -> Path:
        return self.folder / base_id / "gateway.db"

    def brokers(self) -> dict[str, str]:
        """Each base's broker (host:port) as its link reports it."""
        found = {base_id: str(link_state(self.store(base_id), "mqtt").get("broker"))
                 for base_id in self.real_ids if link_state(self.store(base_id), "mqtt").get("state") == "up"}
        for base_id, base in self.simulated.bases.items():
            link = base.worker.link
            if link is not None and link.connected.is_set():
                found[base_id] = link.broker
        return found

    def bases_on(self, node: int) -> list[str]:
        address = f"127.0.0.1:{self.cluster.mqtt_port(node)}"
        return sorted(base for base, broker in self.brokers().items() if broker == address)

    def all_connected(self) -> bool:
        return len(self.brokers()) == len(self.base_ids)

    # -- load -----------------------------------------------------------------------------
    def burst(self, per_base: int, seconds: float, midway: Callable[[], None] | None = None) -> None:
        """`per_base` alerts at every base, evenly over `seconds`: committed at the simulated
        bases, sent as SMS to the real gateways' modems."""
        for step in range(per_base):
            started = time.monotonic()
            self.simulated.commit(1)
            for modem in self.modems.values():
                self._sms += 1
                modem.inject_sms(f"+2439{self._sms:08d}", f"{TEXTS[self._sms % len(TEXTS)]} {self._sms}")
            if midway is not None and step == per_base // 2:
                threading.Thread(target=midway, name="midway", daemon=True).start()
            time.sleep(max(0.0, started + seconds / per_base - time.monotonic()))

    # -- faults ---------------------------------------------------------------------------
    def kill_stream_leader(self) -> int:
        """SIGKILL to the node leading the messages stream; its index."""
        leader = self.stream_leader()
        self.cluster.stop_node(leader, kill=True)
        return leader

    def stream_leader(self) -> int:
        deadline = time.monotonic() + 30
        while (leader := self.cluster.stream_leader()) is None:
            if time.monotonic() > deadline:
                raise TimeoutError("the messages stream has no leader")
            time.sleep(0.1)
        return leader

    def restart_node(self, index: int) -> None:
        """Start a stopped node; back once every stream is on three current replicas again."""
        self.cluster.start_node(index, timeout=60)
        wait_for(lambda: streams_current(self.cluster), timeout=90, interval=0.2,
                 what="every stream led and on three current replicas")

    def rolling_restart(self, between: Callable[[], None] | None = None) -> None:
        """Each node stopped (SIGTERM) and started again in turn, as an operator would: the
        next only once every stream is whole again."""
        for index in range(len(self.cluster.nodes)):
            self.cluster.stop_node(index)
            if between is not None:
                between()
            self.restart_node(index)

    # -- results --------------------------------------------------------------------------
    def committed(self) -> dict[str, float]:
        """Every alert any base committed: id -> when (the base's clock, this machine's)."""
        found = self.simulated.committed_at()
        for base_id in self.real_ids:
            found.update(query(self.store(base_id), "SELECT uid, created_at FROM alerts"))
        return found

    def at_hq(self) -> dict[str, tuple[float, float, int]]:
        """Every alert in headquarters' store: id -> (stored, cluster stored, copies)."""
        return {uid: (stored, cluster, copies) for uid, stored, cluster, copies in query(
            self.hq_config.parent / "hq.db", "SELECT uid, stored_at, cluster_at, copies FROM hq_alerts")}

    def waiting(self) -> int:
        """Alerts not yet delivered, over every base."""
        return self.simulated.waiting() + sum(
            count for base_id in self.real_ids for count, in query(
                self.store(base_id), "SELECT COUNT(*) FROM outbox WHERE destination = 'mqtt'"
                                     " AND state = 'pending'"))

    def liveness(self) -> dict[str, str]:
        """Each base as headquarters' view sees it: online, silent or never heard."""
        path = self.hq_config.parent / "hq.db"
        if not path.exists():
            return {}
        with contextlib.closing(sqlite3.connect(f"file:{path}?mode=ro", uri=True, timeout=10)) as conn:
            try:
                health = views.bases(conn, self.base_ids, time.time(), self.silent_after, 0.0)
            except sqlite3.Error:  # the collector has not made its tables yet
                return {}
        return {base.id: base.liveness for base in health}

    def settled(self) -> bool:
        return (self.waiting() == 0 and set(self.committed()) <= set(self.at_hq())
                and set(self.liveness().values()) == {"online"})

    def wait_settled(self, timeout: float = 120.0) -> None:
        wait_for(self.settled, timeout=timeout, interval=0.5,
                 what="outboxes drained, every alert at headquarters, every base online")
