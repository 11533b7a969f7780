"""The configuration of one node of headquarters' three-node NATS cluster.

One function writes it for the real deployment (firmware-config/hq/node*.conf, three machines)
and for the local cluster the demo and the tests run (three processes on 127.0.0.1), so what the
tests prove is what the deployment runs; only addresses, ports and paths differ.

What matters in it (firmware-config/hq/README.md explains each setting):
- every node lists all three routes, itself included: NATS gives its MQTT streams as many
  replicas as routes listed, and `stream_replicas: 3` says so outright;
- TLS everywhere: bases and headquarters' programs check the nodes' certificate against the
  CA, and nodes check each other's (routes verify both sides);
- the accounts and users come from users.conf (gateway/hq/users.py writes it).
"""

from __future__ import annotations

import argparse
import json
from dataclasses import dataclass
from pathlib import Path

CLUSTER_NAME = "cangw-hq"
MQTT_ACK_WAIT = "30s"  # a base's QoS 1 delivery not acknowledged by then is sent again


@dataclass(frozen=True)
class NodeAddress:
    name: str  # server_name, unique in the cluster
    host: str  # where the other nodes and the clients reach it
    client_port: int = 4222
    route_port: int = 6222
    mqtt_port: int = 8883
    monitor_port: int = 8222


@dataclass(frozen=True)
class NodePaths:
    store_dir: Path  # JetStream's files
    cert: Path  # this node's certificate and key
    key: Path
    ca: Path  # the CA that signed every node's certificate
    users: Path  # users.conf


def _q(value: object) -> str:
    return json.dumps(str(value))


def _tls(paths: NodePaths, indent: str, verify: bool = False) -> str:
    """A tls block; with `verify` the peer must show a certificate signed by the CA too."""
    lines = [f"cert_file: {_q(paths.cert)}", f"key_file: {_q(paths.key)}", "timeout: 5"]
    if verify:
        lines += [f"ca_file: {_q(paths.ca)}", "verify: true"]
    inner = "".join(f"{indent}    {line}\n" for line in lines)
    return f"tls {{\n{inner}{indent}}}"


def render(node: NodeAddress, nodes: list[NodeAddress], paths: NodePaths, bind: str = "0.0.0.0") -> str:
    """The text of `node`'s configuration in a cluster of `nodes` (node included)."""
    routes = "".join(f"        {_q(f'nats-route://{other.host}:{other.route_port}')}\n" for other in nodes)
    return f"""# cangw headquarters: NATS node {node.name} of {len(nodes)}, written by gateway/hq/natsconf.py
server_name: {_q(node.name)}

# headquarters' own programs (collector, satellite bridge, admin): NATS over TLS
listen: {_q(f"{bind}:{node.client_port}")}
{_tls(paths, "")}

# monitoring (/healthz, /jsz, /routez): no authentication, so on this machine only
http: {_q(f"127.0.0.1:{node.monitor_port}")}

jetstream {{
    store_dir: {_q(paths.store_dir)}
    max_file_store: 50GB
    max_memory_store: 256MB
}}

cluster {{
    name: {_q(CLUSTER_NAME)}
    listen: {_q(f"{bind}:{node.route_port}")}
    # every node, this one included: NATS gives MQTT's streams one replica per route listed
    routes: [
{routes}    ]
    {_tls(paths, "    ", verify=True)}
}}

# the bases: MQTT 3.1.1 over TLS, a user name and password each (users.conf)
mqtt {{
    listen: {_q(f"{bind}:{node.mqtt_port}")}
    {_tls(paths, "    ")}
    stream_replicas: 3
    ack_wait: {_q(MQTT_ACK_WAIT)}
}}

include {_q(paths.users.name)}
"""


PRODUCTION_NODES = [NodeAddress(f"hq{n}", f"hq{n}.example.org") for n in (1, 2, 3)]
PRODUCTION_PATHS = NodePaths(Path("/var/lib/nats/jetstream"), Path("/etc/nats/tls/node.crt"),
                             Path("/etc/nats/tls/node.key"), Path("/etc/nats/tls/ca.crt"),
                             Path("/etc/nats/users.conf"))


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m gateway.hq.natsconf",
                                     description="Write node1.conf .. node3.conf for three machines.")
    parser.add_argument("folder", type=Path)
    parser.add_argument("--hosts", nargs=3, metavar="HOST",
                        default=[node.host for node in PRODUCTION_NODES],
                        help="the three machines' names, as in their certificates")
    args = parser.parse_args(argv)
    nodes = [NodeAddress(f"hq{n}", host) for n, host in enumerate(args.hosts, 1)]
    for n, node in enumerate(nodes, 1):
        (args.folder / f"node{n}.conf").write_text(render(node, nodes, PRODUCTION_PATHS), encoding="utf-8")


if __name__ == "__main__":
    main()
