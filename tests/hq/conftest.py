"""What the cluster tests share: a local three-node cluster, MQTT clients closed at the end of
each test."""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from pathlib import Path

import pytest

from gateway.hq.cluster import HqCluster, nats_server_binary
from gateway.sim.mqtt_probe import MqttProbe


def needs_nats_server() -> None:
    try:
        nats_server_binary()
    except FileNotFoundError as exc:
        pytest.fail(f"{exc} (scripts/test installs it)")


@contextlib.contextmanager
def local_cluster(folder: Path, base_ids: list[str]) -> Iterator[HqCluster]:
    """Three nats-server processes with users for `base_ids`, stopped by their PIDs at the end."""
    needs_nats_server()
    with HqCluster(folder, base_ids) as running:
        yield running


@pytest.fixture
def clients():
    """Make clients with `clients(MqttProbe(...))`; every one is closed at the end of the test."""
    made: list[MqttProbe] = []

    def add(client: MqttProbe) -> MqttProbe:
        made.append(client)
        return client

    yield add
    for client in made:
        with contextlib.suppress(Exception):
            client.close()
