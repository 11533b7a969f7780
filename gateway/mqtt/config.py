"""The `[mqtt]` section: the broker headquarters reads, and how the base logs in to it."""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path


@dataclass(frozen=True)
class MqttConfig:
    host: str
    port: int = 1883
    username: str | None = None
    password_file: Path | None = None
    tls: bool = False
    ca_file: Path | None = None
    topic_prefix: str = "can/v1"
    client_id: str | None = None
    keepalive: int = 60
    status_interval: float = 60.0
    command_key_file: Path | None = None  # commands from headquarters (default: [sbd]'s key)

    def check(self) -> list[tuple[str, str]]:
        problems = []
        if not 0 < self.port < 65536:
            problems.append(("port", "a TCP port between 1 and 65535"))
        if re.search(r"[#+\s]", self.topic_prefix) or self.topic_prefix.endswith("/"):
            problems.append(("topic_prefix", "topic levels without '#', '+', spaces or a trailing '/'"))
        return problems

    def password(self) -> str | None:
        """Read the broker password from its file; the password itself is never logged."""
        if self.password_file is None:
            return None
        return self.password_file.read_text(encoding="utf-8").strip()
