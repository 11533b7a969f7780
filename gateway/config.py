"""The gateway's one TOML configuration file, read into typed dataclasses and validated.

Validation is strict on purpose: a typo in a key on a remote base would otherwise silently
disable a link. Every error names the file, the key and what was expected.
"""

from __future__ import annotations

import dataclasses
import os
import re
import string
import tomllib
import types
import typing
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal

from gateway.errors import ConfigError
from gateway.gsm.config import CallsConfig, CreditConfig
from gateway.hf.callsign import normalise_callsign
from gateway.panel.config import GPIO_RANGE, PanelConfig
from gateway.sbd.config import SbdConfig

DEFAULT_CONFIG_PATH = Path("/etc/cangw/gateway.toml")
LANGUAGES = ("fr", "sw", "en")


@dataclass(frozen=True)
class BaseConfig:
    id: str
    name: str
    language: Literal["fr", "sw", "en"] = "fr"
    country_code: str = "+243"
    timezone: str = "Africa/Lubumbashi"

    def check(self) -> list[tuple[str, str]]:
        problems = []
        if not re.fullmatch(r"[A-Z0-9]{2,8}", self.id):
            problems.append(("id", "2 to 8 capital letters or digits, such as 'KWJ'"))
        if not re.fullmatch(r"\+[1-9][0-9]{0,3}", self.country_code):
            problems.append(("country_code", "a country calling code such as '+243'"))
        return problems


@dataclass(frozen=True)
class StoreConfig:
    path: Path
    min_free_mb: int = 200

    def check(self) -> list[tuple[str, str]]:
        return [("min_free_mb", "0 or more (megabytes)")] if self.min_free_mb < 0 else []


@dataclass(frozen=True)
class GsmConfig:
    port: str
    baudrate: int = 115200
    pin: str | None = None
    sweep_interval: float = 30.0
    multipart_timeout: float = 600.0
    command_timeout: float = 10.0
    health_interval: float = 10.0
    power_pin: int | None = None
    power_active_high: bool = True
    send_attempts: int = 10
    send_retry: float = 5.0

    def check(self) -> list[tuple[str, str]]:
        problems = []
        if self.pin is not None and not re.fullmatch(r"[0-9]{4,8}", self.pin):
            problems.append(("pin", "4 to 8 digits"))
        if self.sweep_interval < 1:
            problems.append(("sweep_interval", "at least 1 (seconds)"))
        if not 1 <= self.health_interval <= 20:
            problems.append(("health_interval", "1 to 20 (seconds), so a hung modem is found "
                                                "within 30 s"))
        if self.power_pin is not None and self.power_pin not in GPIO_RANGE:
            problems.append(("power_pin", "a BCM GPIO number from 2 to 27"))
        if self.send_attempts < 1:
            problems.append(("send_attempts", "at least 1"))
        if self.send_retry <= 0:
            problems.append(("send_retry", "more than 0 (seconds)"))
        return problems


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


# "SENDER: text", or a TNC's monitor line "SENDER>DEST,PATH:text"; see firmware-config/hf-radios.md
DEFAULT_LINE_PATTERN = (r"^\s*(?P<sender>[A-Za-z0-9]{1,6}(?:-[0-9]{1,2})?)(?:>[^:\s]*)?\s*:"
                        r"\s*(?P<text>.*?)\s*$")


@dataclass(frozen=True)
class HfConfig:
    port: str
    callsign: str
    mode: Literal["kiss", "text"] = "kiss"
    baudrate: int = 9600
    kiss_port: int = 0
    frames_per_minute: int = 4
    repeat_window: float = 120.0
    line_pattern: str = DEFAULT_LINE_PATTERN
    ignore_pattern: str | None = None
    ack_command: str | None = None

    def check(self) -> list[tuple[str, str]]:
        problems = []
        if normalise_callsign(self.callsign) != self.callsign:
            problems.append(("callsign", "a callsign in capitals such as 'UNBASE' or 'UNBASE-1' "
                                         "(up to 6 letters or digits, SSID 1 to 15)"))
        if not 0 <= self.kiss_port <= 15:
            problems.append(("kiss_port", "a TNC port number from 0 to 15"))
        if self.frames_per_minute < 0:
            problems.append(("frames_per_minute", "0 (never transmit) or more"))
        if self.repeat_window < 0:
            problems.append(("repeat_window", "0 or more (seconds)"))
        pattern = _regex(self.line_pattern)
        if pattern is None or not {"sender", "text"} <= set(pattern.groupindex):
            problems.append(("line_pattern", "a regular expression with groups (?P<sender>...) "
                                             "and (?P<text>...)"))
        if self.ignore_pattern is not None and _regex(self.ignore_pattern) is None:
            problems.append(("ignore_pattern", "a regular expression"))
        if self.ack_command is not None and (
                self.mode != "text" or not _placeholders(self.ack_command) <= {"sender", "text"}):
            problems.append(("ack_command", "with mode = 'text', a command using only {sender} "
                                            "and {text}"))
        return problems

    @property
    def acknowledges(self) -> bool:
        """Whether acknowledgements go back over the radio (a text-mode radio needs a command)."""
        return self.frames_per_minute > 0 and (self.mode == "kiss" or self.ack_command is not None)


def _regex(pattern: str) -> re.Pattern | None:
    try:
        return re.compile(pattern)
    except re.error:
        return None


def _placeholders(template: str) -> set[str]:
    try:
        return {name for _, name, _, _ in string.Formatter().parse(template) if name is not None}
    except ValueError:
        return {"(unbalanced braces)"}


@dataclass(frozen=True)
class CodesConfig:
    file: Path


@dataclass(frozen=True)
class Config:
    """The whole configuration. An absent optional section means that link is not started."""

    source: Path
    base: BaseConfig
    store: StoreConfig
    gsm: GsmConfig | None = None
    mqtt: MqttConfig | None = None
    codes: CodesConfig | None = None
    hf: HfConfig | None = None
    panel: PanelConfig | None = None
    sbd: SbdConfig | None = None
    calls: CallsConfig | None = None
    credit: CreditConfig | None = None

    @property
    def call_settings(self) -> CallsConfig:
        """[calls], or its defaults: missed calls are handled whenever a modem is configured."""
        return self.calls or CallsConfig()


SECTIONS: dict[str, tuple[type, bool]] = {
    "base": (BaseConfig, True),
    "store": (StoreConfig, True),
    "gsm": (GsmConfig, False),
    "mqtt": (MqttConfig, False),
    "codes": (CodesConfig, False),
    "hf": (HfConfig, False),
    "panel": (PanelConfig, False),
    "sbd": (SbdConfig, False),
    "calls": (CallsConfig, False),
    "credit": (CreditConfig, False),
}


def config_path(explicit: str | os.PathLike | None) -> Path:
    """The config file to use: the one given, else $CANGW_CONFIG, else /etc/cangw/gateway.toml."""
    if explicit:
        return Path(explicit)
    env = os.environ.get("CANGW_CONFIG")
    return Path(env) if env else DEFAULT_CONFIG_PATH


def load_config(path: str | os.PathLike) -> Config:
    """Read and validate a configuration file, raising ConfigError with a precise message."""
    path = Path(path)
    return parse_config(read_toml(path), path)


def read_toml(path: Path) -> dict[str, Any]:
    """A TOML file's contents; ConfigError naming the file when it cannot be read."""
    try:
        return tomllib.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise ConfigError(f"{path}: file not found") from None
    except (OSError, UnicodeDecodeError) as exc:
        raise ConfigError(f"{path}: cannot read: {exc}") from None
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"{path}: not valid TOML: {exc}") from None


def parse_config(raw: dict[str, Any], path: Path) -> Config:
    """Validate an already-parsed TOML document; relative paths are taken from the file's folder."""
    unknown = sorted(set(raw) - set(SECTIONS))
    if unknown:
        raise ConfigError(
            f"{path}: unknown section [{unknown[0]}]; expected one of "
            + ", ".join(f"[{name}]" for name in SECTIONS)
        )
    sections: dict[str, Any] = {}
    for name, (cls, required) in SECTIONS.items():
        if name not in raw:
            if required:
                raise ConfigError(f"{path}: missing section [{name}]")
            continue
        if not isinstance(raw[name], dict):
            raise ConfigError(f"{path}: [{name}] must be a table (a [{name}] section)")
        sections[name] = _build_section(cls, name, raw[name], path)
    return Config(source=path, **sections)


def _build_section(cls: type, name: str, values: dict[str, Any], path: Path) -> Any:
    fields = {f.name: f for f in dataclasses.fields(cls)}
    hints = typing.get_type_hints(cls)
    for key in values:
        if key not in fields:
            raise ConfigError(
                f"{path}: [{name}] {key}: unknown key; expected one of {', '.join(fields)}"
            )
    kwargs = {}
    for key, fld in fields.items():
        if key not in values:
            if fld.default is dataclasses.MISSING and fld.default_factory is dataclasses.MISSING:
                raise ConfigError(f"{path}: [{name}] {key}: missing required value")
            continue
        kwargs[key] = _coerce(values[key], hints[key], f"{path}: [{name}] {key}", path.parent)
    section = cls(**kwargs)
    for key, expected in getattr(section, "check", lambda: [])():
        raise ConfigError(
            f"{path}: [{name}] {key}: expected {expected}, got {getattr(section, key)!r}"
        )
    return section


def _coerce(value: Any, hint: Any, where: str, folder: Path) -> Any:
    options = _union_members(hint)
    if options is not None:
        options = [option for option in options if option is not type(None)]
        if len(options) == 1:
            return _coerce(value, options[0], where, folder)
    if typing.get_origin(hint) is Literal:
        allowed = typing.get_args(hint)
        if value not in allowed:
            raise ConfigError(
                f"{where}: expected one of {', '.join(map(repr, allowed))}, got {value!r}"
            )
        return value
    if typing.get_origin(hint) is list:
        if not isinstance(value, list):
            raise ConfigError(f"{where}: expected a list, got {_describe(value)}")
        item_hint = typing.get_args(hint)[0]
        return [_coerce(item, item_hint, f"{where}[{index}]", folder)
                for index, item in enumerate(value)]
    if typing.get_origin(hint) is dict:
        if not isinstance(value, dict):
            raise ConfigError(f"{where}: expected a table, got {_describe(value)}")
        item_hint = typing.get_args(hint)[1]
        return {key: _coerce(item, item_hint, f"{where}.{key}", folder)
                for key, item in value.items()}
    if hint is Path:
        _expect(value, str, "a path (a string)", where)
        candidate = Path(value).expanduser()
        return candidate if candidate.is_absolute() else folder / candidate
    if hint is float:
        if isinstance(value, bool) or not isinstance(value, int | float):
            raise ConfigError(f"{where}: expected a number, got {_describe(value)}")
        return float(value)
    names = {str: "a string", int: "an integer", bool: "true or false"}
    _expect(value, hint, names.get(hint, str(hint)), where)
    return value


def _union_members(hint: Any) -> tuple | None:
    if isinstance(hint, types.UnionType) or typing.get_origin(hint) is typing.Union:
        return typing.get_args(hint)
    return None


def _expect(value: Any, kind: type, expected: str, where: str) -> None:
    wrong_bool = kind is int and isinstance(value, bool)
    if wrong_bool or not isinstance(value, kind):
        raise ConfigError(f"{where}: expected {expected}, got {_describe(value)}")


def _describe(value: Any) -> str:
    kinds = {str: "a string", int: "an integer", float: "a number", bool: "a boolean",
             list: "a list", dict: "a table"}
    return f"{value!r} ({kinds.get(type(value), type(value).__name__)})"
