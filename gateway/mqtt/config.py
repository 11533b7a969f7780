"""The `[mqtt]` section: the broker headquarters reads, and how the base logs in to it."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path

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
    status_interval: float = 60.0

    def check(self) -> list[tuple[str, str]]:
        problems = []
        if bool(self.host) == bool(self.hosts):
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
        if re.search(r"[#+\s]", self.topic_prefix) or self.topic_prefix.endswith("/"):
            problems.append(("topic_prefix", "topic levels without '#', '+', spaces or a trailing '/'"))
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
        return self.password_file.read_text(encoding="utf-8").strip()
