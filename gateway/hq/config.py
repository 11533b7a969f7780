"""hq.toml: the headquarters bridge's own small configuration, validated like gateway.toml
(every error names the file, the key and what was expected)."""

from __future__ import annotations

import os
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from gateway.config import StoreConfig, build_section, read_toml
from gateway.errors import ConfigError
from gateway.keyfile import read_secret
from gateway.mqtt.config import MqttConfig

BASE_ID = re.compile(r"[A-Z0-9]{2,8}")


@dataclass(frozen=True)
class HttpConfig:
    host: str = "0.0.0.0"
    port: int = 8080
    path: str = "/rockblock"
    secret_file: Path | None = None
    imeis: list[str] = field(default_factory=list)
    max_body: int = 16384

    def check(self) -> list[tuple[str, str]]:
        problems = []
        if not 0 < self.port < 65536:
            problems.append(("port", "a TCP port between 1 and 65535"))
        if not self.path.startswith("/"):
            problems.append(("path", "a URL path starting with '/'"))
        if any(not re.fullmatch(r"\d{15}", imei) for imei in self.imeis):
            problems.append(("imeis", "a list of 15-digit IMEIs"))
        return problems

    def secret(self) -> str | None:
        """The shared secret the provider's webhook must carry (never logged)."""
        if self.secret_file is None:
            return None
        return read_secret(self.secret_file, "webhook secret") or None


@dataclass(frozen=True)
class HqBaseConfig:
    id: str
    villages: Path | None = None
    codes: Path | None = None
    command_key_file: Path | None = None

    def check(self) -> list[tuple[str, str]]:
        return [] if BASE_ID.fullmatch(self.id) else [("id", "the base's id, such as 'KWJ'")]


@dataclass(frozen=True)
class HqConfig:
    source: Path
    mqtt: MqttConfig
    store: StoreConfig
    http: HttpConfig = field(default_factory=HttpConfig)
    bases: tuple[HqBaseConfig, ...] = ()

    def base(self, base_id: str) -> HqBaseConfig | None:
        return next((b for b in self.bases if b.id == base_id), None)


def hq_config_path(explicit: str | os.PathLike | None) -> Path:
    if explicit:
        return Path(explicit)
    return Path(os.environ.get("CANGW_HQ_CONFIG", "/etc/cangw/hq.toml"))


def load_hq_config(path: str | os.PathLike) -> HqConfig:
    path = Path(path)
    raw = read_toml(path)
    sections = {"http": HttpConfig, "mqtt": MqttConfig, "store": StoreConfig}
    unknown = sorted(set(raw) - {*sections, "base"})
    if unknown:
        raise ConfigError(f"{path}: unknown section [{unknown[0]}]; expected [http], [mqtt], "
                          "[store] and [[base]] tables")
    built: dict[str, Any] = {}
    for name, cls in sections.items():
        if name not in raw:
            if name != "http":
                raise ConfigError(f"{path}: missing section [{name}]")
            continue
        if not isinstance(raw[name], dict):
            raise ConfigError(f"{path}: [{name}] must be a table")
        built[name] = build_section(cls, name, raw[name], path)
    bases = raw.get("base", [])
    if not isinstance(bases, list) or not all(isinstance(b, dict) for b in bases):
        raise ConfigError(f"{path}: bases are [[base]] tables")
    built["bases"] = tuple(build_section(HqBaseConfig, f"base {index + 1}", entry, path)
                           for index, entry in enumerate(bases))
    return HqConfig(source=path, **built)
