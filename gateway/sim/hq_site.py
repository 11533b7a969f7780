"""Headquarters on this machine, for the tests and bench/hq_collect.py: a base's `[mqtt]` section
for the local three-node cluster (gateway/hq/cluster.py), headquarters' hq.toml with its
`[collector]`, and `cangw hq-collect` as a child process, stopped by its PID."""

from __future__ import annotations

import json
from pathlib import Path

from gateway.hq import users
from gateway.hq.cluster import HqCluster
from gateway.sim.harness import DaemonProcess


def _quoted(value: object) -> str:
    return json.dumps(str(value))


def base_mqtt(cluster: HqCluster, base_id: str, first: int, status_interval: float = 5.0,
              keepalive: int = 10) -> str:
    """The `[mqtt]` section of base `base_id`: every node, node `first` tried first (spreading
    the bases over the nodes as a real deployment's lists would), TLS, its own user."""
    nodes = [(first + n) % len(cluster.nodes) for n in range(len(cluster.nodes))]
    hosts = ", ".join(_quoted(f"127.0.0.1:{cluster.mqtt_port(n)}") for n in nodes)
    return (f"\n[mqtt]\nhosts = [{hosts}]\ntls = true\nca_file = {_quoted(cluster.ca)}\n"
            f"username = \"base-{base_id}\"\n"
            f"password_file = {_quoted(users.password_file(cluster.folder, f'base-{base_id}'))}\n"
            f"status_interval = {status_interval}\nkeepalive = {keepalive}\n")


def imei_of(index: int) -> str:
    """A made-up satellite modem number for the `index`-th base (hq.toml wants one per base)."""
    return f"300234{index:09d}"


def write_hq_config(folder: Path, cluster: HqCluster, base_ids: list[str],
                    silent_after: float = 300.0, ack_wait: float = 30.0, batch: int = 256) -> Path:
    """hq.toml for headquarters' store in `folder`, reading the local cluster."""
    servers = ", ".join(_quoted(cluster.client_url(n)) for n in range(len(cluster.nodes)))
    mqtt_hosts = ", ".join(_quoted(f"127.0.0.1:{cluster.mqtt_port(n)}") for n in range(len(cluster.nodes)))
    text = (f"[mqtt]\nhosts = [{mqtt_hosts}]\ntls = true\nca_file = {_quoted(cluster.ca)}\n"
            f"username = \"hq-bridge\"\n"
            f"password_file = {_quoted(users.password_file(cluster.folder, 'hq-bridge'))}\n\n"
            f"[store]\npath = {_quoted(folder / 'hq.db')}\n\n"
            f"[collector]\nservers = [{servers}]\nca_file = {_quoted(cluster.ca)}\n"
            f"password_file = {_quoted(users.password_file(cluster.folder, 'hq-collector'))}\n"
            f"silent_after = {silent_after}\nack_wait = {ack_wait}\nbatch = {batch}\n")
    for index, base_id in enumerate(base_ids):
        text += f'\n[[base]]\nid = "{base_id}"\nimeis = ["{imei_of(index)}"]\n'
    path = folder / "hq.toml"
    path.write_text(text, encoding="utf-8")
    return path


class CollectorProcess(DaemonProcess):
    """`cangw hq-collect` in a child process; its hq.toml is `config`, `options` its own."""

    command: tuple[str, ...] = ("hq-collect",)
    log_name = "collector.log"

    def __init__(self, config: Path, *options: str):
        super().__init__(config, env={"CANGW_HQ_CONFIG": str(config)})
        self.command = ("hq-collect", *options)
