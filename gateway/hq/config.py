"""hq.toml: the headquarters bridge's own small configuration, validated like gateway.toml
(every error names the file, the key and what was expected)."""

from __future__ import annotations

import os
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

from gateway.config import StoreConfig, build_section, read_toml
from gateway.console.config import ConsoleConfig
from gateway.errors import ConfigError
from gateway.keyfile import read_secret
from gateway.mqtt.config import MqttConfig

BASE_ID = re.compile(r"[A-Z0-9]{2,8}")
IMEI = re.compile(r"[0-9]{15}")
MIN_SECRET = 16
LOOPBACK = ("127.0.0.1", "::1", "localhost")


@dataclass(frozen=True)
class HttpConfig:
    host: str = "0.0.0.0"
    port: int = 8080
    path: str = "/rockblock"
    secret_file: Path | None = None
    allow_unauthenticated: bool = False  # a local test only: loopback, and said loudly
    max_body: int = 16384
    request_timeout: float = 10.0  # seconds for a whole request to arrive
    max_connections: int = 32  # at once; the next is answered 503

    def check(self) -> list[tuple[str, str]]:
        problems = []
        if not 0 < self.port < 65536:
            problems.append(("port", "a TCP port between 1 and 65535"))
        if not self.path.startswith("/"):
            problems.append(("path", "a URL path starting with '/'"))
        if not 0 < self.request_timeout <= 300:
            problems.append(("request_timeout", "seconds, more than 0 and at most 300"))
        if not 1 <= self.max_connections <= 1000:
            problems.append(("max_connections", "1 to 1000"))
        if self.allow_unauthenticated and self.host not in LOOPBACK:
            problems.append(("allow_unauthenticated", "false unless host is 127.0.0.1, ::1 or "
                                                      "localhost (a local test)"))
        return problems

    def secret(self) -> str | None:
        """The shared secret the provider's webhook must carry (never logged); None only
        where `allow_unauthenticated` permits it. ConfigError for anything else: without a
        secret anyone who reaches the port could post forged alerts."""
        text = read_secret(self.secret_file, "webhook secret") if self.secret_file else ""
        if len(text) >= MIN_SECRET or (not text and self.allow_unauthenticated):
            return text or None
        problem = (f"{self.secret_file} holds {'no' if not text else 'too short a'} secret"
                   if self.secret_file else "no secret_file")
        raise ConfigError(f"[http] secret_file: {problem}; the bridge needs a shared secret of "
                          f"at least {MIN_SECRET} characters (openssl rand -hex 32), or "
                          "allow_unauthenticated = true on 127.0.0.1 for a local test")


@dataclass(frozen=True)
class CollectorConfig:
    """How `cangw hq-collect` reads the cluster: NATS over TLS, as the `hq-collector` user, one
    durable consumer of the messages stream (gateway/hq/collector.py says why)."""

    servers: list[str]  # the three nodes' NATS listeners: "tls://hq1.example.org:4222"
    ca_file: Path  # the CA that signed the nodes' certificates
    password_file: Path
    username: str = "hq-collector"
    topic_prefix: str = "can/v1"
    consumer: str = "hq-collector"  # the durable consumer's name (its place in the stream)
    silent_after: float = 300.0  # seconds without a message (a status heartbeat) from a base
    batch: int = 256  # messages committed in one transaction
    ack_wait: float = 30.0  # a message taken but not acknowledged by then is delivered again

    def check(self) -> list[tuple[str, str]]:
        problems = []
        if not self.servers or not all(re.fullmatch(r"(tls|nats)://[^\s/]+", s) for s in self.servers):
            problems.append(("servers", "NATS addresses such as 'tls://hq1.example.org:4222'"))
        if not re.fullmatch(r"[A-Za-z0-9_-]{1,64}", self.consumer):
            problems.append(("consumer", "a name of letters, digits, '-' and '_'"))
        if not 0 < self.silent_after <= 86400:
            problems.append(("silent_after", "seconds, more than 0 and at most a day"))
        if not 1 <= self.batch <= 10000:
            problems.append(("batch", "1 to 10000 messages"))
        if not 1 <= self.ack_wait <= 3600:
            problems.append(("ack_wait", "1 to 3600 seconds"))
        return problems

    def password(self) -> str:
        return self.password_file.read_text(encoding="utf-8").strip()


@dataclass(frozen=True)
class HqBaseConfig:
    id: str
    imeis: list[str]  # the base's satellite modems: deliveries from them are this base's only
    villages: Path | None = None
    codes: Path | None = None
    command_key_file: Path | None = None
    language: Literal["fr", "sw", "en"] = "fr"  # the base's, as in its gateway.toml (CAP feed)

    def check(self) -> list[tuple[str, str]]:
        if not BASE_ID.fullmatch(self.id):
            return [("id", "the base's id, such as 'KWJ'")]
        if not self.imeis or not all(IMEI.fullmatch(imei) for imei in self.imeis):
            return [("imeis", "the IMEIs (15 digits) of the base's satellite modems")]
        return []


@dataclass(frozen=True)
class HqConfig:
    source: Path
    mqtt: MqttConfig
    store: StoreConfig
    http: HttpConfig = field(default_factory=HttpConfig)
    collector: CollectorConfig | None = None  # needed by `cangw hq-collect` only
    console: ConsoleConfig = field(default_factory=ConsoleConfig)  # `cangw console --hq`
    bases: tuple[HqBaseConfig, ...] = ()

    def base(self, base_id: str) -> HqBaseConfig | None:
        return next((b for b in self.bases if b.id == base_id), None)

    def base_of_imei(self, imei: str) -> HqBaseConfig | None:
        return next((b for b in self.bases if imei in b.imeis), None)


def hq_config_path(explicit: str | os.PathLike | None) -> Path:
    if explicit:
        return Path(explicit)
    return Path(os.environ.get("CANGW_HQ_CONFIG", "/etc/cangw/hq.toml"))


def load_hq_config(path: str | os.PathLike) -> HqConfig:
    path = Path(path)
    raw = read_toml(path)
    sections = {"http": HttpConfig, "mqtt": MqttConfig, "store": StoreConfig,
                "collector": CollectorConfig, "console": ConsoleConfig}
    unknown = sorted(set(raw) - {*sections, "base"})
    if isinstance(raw.get("http"), dict) and "imeis" in raw["http"]:
        raise ConfigError(f"{path}: [http] imeis: each [[base]] lists its own modems now "
                          "(imeis = [...] in its table): a modem may post only for its base")
    if unknown:
        raise ConfigError(f"{path}: unknown section [{unknown[0]}]; expected [http], [mqtt], "
                          "[store], [collector], [console] and [[base]] tables")
    built: dict[str, Any] = {}
    for name, cls in sections.items():
        if name not in raw:
            if name not in ("http", "collector", "console"):
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
    _check_unique(path, built["bases"])
    return HqConfig(source=path, **built)


def _check_unique(path: Path, bases: tuple[HqBaseConfig, ...]) -> None:
    """One table per base, one base per modem."""
    owners: dict[str, str] = {}
    for index, base in enumerate(bases):
        if base.id in [b.id for b in bases[:index]]:
            raise ConfigError(f"{path}: [base {index + 1}] id: base {base.id} has two tables")
        for imei in base.imeis:
            if imei in owners:
                raise ConfigError(f"{path}: [base {index + 1}] imeis: {imei} is already the "
                                  f"modem of base {owners[imei]}")
            owners[imei] = base.id
