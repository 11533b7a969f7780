"""The `[mqtt]` section: the broker headquarters reads, and how the base logs in to it."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path

from gateway.keyfile import read_secret

ADDRESS = re.compile(r"(?:\[(?P<ipv6>[0-9A-Fa-f:.]+)\]|(?P<name>[^\s:/\[\]]+))(?::(?P<port>[0-9]{1,5}))?")


@dataclass(frozen=True)
class MqttConfig:
    host: str = ""  # one broker; or `hosts`, several (a cluster's nodes), tried in turn
    port: int = 1883
    hosts: list[str] = field(default_factory=list)  # "name" or "name:port" (port: `port`)
    username: str | None = None
    password_file: Path | None = None
    tls: bool = False
    ca_file: Path | None = None
    topic_prefix: str = "can/v1"
    client_id: str | None = None
    keepalive: int = 60
    reconnect_max: int = 60  # seconds: paho's wait between attempts doubles from 1 up to this
    status_interval: float = 60.0
    command_key_file: Path | None = None  # commands from headquarters (default: [sbd]'s key)
    cap: bool = False  # also each new version of an incident as CAP 1.2 XML on {prefix}/{base}/cap

    def check(self) -> list[tuple[str, str]]:
        problems = []
        if bool(self.host.strip()) == bool(self.hosts):
            problems.append(("host", "either host (one broker) or hosts (a list of brokers), "
                                     "not both"))
        for entry in self.hosts:
            match = ADDRESS.fullmatch(entry)
            if match is None or not 0 < int(match["port"] or self.port) < 65536:
                problems.append(("hosts", "broker addresses such as 'hq1.example.org' or "
                                          "'hq1.example.org:8883'"))
                break
        if not 0 < self.port < 65536:
            problems.append(("port", "a TCP port between 1 and 65535"))
        if not 1 <= self.reconnect_max <= 3600:
            problems.append(("reconnect_max", "1 to 3600 (seconds)"))
        if re.search(r"[#+\s]", self.topic_prefix) or self.topic_prefix.endswith("/"):
            problems.append(("topic_prefix", "topic levels without '#', '+', spaces or a trailing '/'"))
        if not 0 <= self.keepalive <= 65535:
            problems.append(("keepalive", "0 (none) to 65535 seconds"))
        if self.status_interval < 1:
            problems.append(("status_interval", "at least 1 (seconds)"))
        return problems

    def addresses(self) -> list[tuple[str, int]]:
        """(host, port) of each broker, in the order the link tries them."""
        if self.host:
            return [(self.host, self.port)]
        found = []
        for entry in self.hosts:
            match = ADDRESS.fullmatch(entry)
            assert match is not None  # check() refused anything else
            found.append((match["ipv6"] or match["name"], int(match["port"] or self.port)))
        return found

    def password(self) -> str | None:
        """Read the broker password from its file; the password itself is never logged."""
        if self.password_file is None:
            return None
        return read_secret(self.password_file, "broker password")
