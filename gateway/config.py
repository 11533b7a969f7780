"""The gateway's one TOML configuration file, read into typed dataclasses and validated.

Validation is strict on purpose: a typo in a key on a remote base would otherwise silently
disable a link. Every error names the file, the key and what was expected.
"""

from __future__ import annotations

import dataclasses
import os
import re
import tomllib
import types
import typing
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

from gateway import features
from gateway.cap.config import CapConfig
from gateway.errors import ConfigError
from gateway.gsm.config import CallsConfig, CreditConfig, GsmConfig
from gateway.hf.config import HfConfig
from gateway.mqtt.config import MqttConfig
from gateway.panel.config import PanelConfig
from gateway.sbd.config import SbdConfig
from gateway.triage.config import TriageConfig

DEFAULT_CONFIG_PATH = Path("/etc/cangw/gateway.toml")


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
class CodesConfig:
    file: Path


@dataclass(frozen=True)
class Config:
    """The whole configuration. An absent optional section means that link is not started.

    The links' sections (declared by each feature, gateway/features.py) are in `sections`;
    the properties below give the built-in ones their types."""

    source: Path
    base: BaseConfig
    store: StoreConfig
    codes: CodesConfig | None = None
    cap: CapConfig | None = None
    triage: TriageConfig = field(default_factory=TriageConfig)
    sections: Mapping[str, Any] = field(default_factory=dict)

    def section(self, name: str) -> Any | None:
        """A feature's section, or None when the file leaves it out."""
        return self.sections.get(name)

    @property
    def gsm(self) -> GsmConfig | None:
        return self.sections.get("gsm")

    @property
    def calls(self) -> CallsConfig | None:
        return self.sections.get("calls")

    @property
    def credit(self) -> CreditConfig | None:
        return self.sections.get("credit")

    @property
    def hf(self) -> HfConfig | None:
        return self.sections.get("hf")

    @property
    def panel(self) -> PanelConfig | None:
        return self.sections.get("panel")

    @property
    def sbd(self) -> SbdConfig | None:
        return self.sections.get("sbd")

    @property
    def mqtt(self) -> MqttConfig | None:
        return self.sections.get("mqtt")

    @property
    def cap_settings(self) -> CapConfig:
        """[cap], or its defaults (CAP export works without the section)."""
        return self.cap or CapConfig()

    @property
    def call_settings(self) -> CallsConfig:
        """[calls], or its defaults: missed calls are handled whenever a modem is configured."""
        return self.calls or CallsConfig()


# The frame's own sections (required or not); the links' sections come from their features.
CORE_SECTIONS: dict[str, tuple[type, bool]] = {
    "base": (BaseConfig, True),
    "store": (StoreConfig, True),
    "codes": (CodesConfig, False),
    "cap": (CapConfig, False),
    "triage": (TriageConfig, False),
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
    known = CORE_SECTIONS | {name: (kind, False) for name, kind in features.sections().items()}
    unknown = sorted(set(raw) - set(known))
    if unknown:
        raise ConfigError(
            f"{path}: unknown section [{unknown[0]}]; expected one of "
            + ", ".join(f"[{name}]" for name in known)
        )
    built: dict[str, Any] = {}
    for name, (cls, required) in known.items():
        if name not in raw:
            if required:
                raise ConfigError(f"{path}: missing section [{name}]")
            continue
        if not isinstance(raw[name], dict):
            raise ConfigError(f"{path}: [{name}] must be a table (a [{name}] section)")
        built[name] = build_section(cls, name, raw[name], path)
    core = {name: built.pop(name) for name in CORE_SECTIONS if name in built}
    return Config(source=path, **core, sections=built)


def build_section(cls: type, name: str, values: dict[str, Any], path: Path) -> Any:
    """One section's dataclass from its table: unknown keys, missing values, wrong types and
    the section's own `check()` become ConfigErrors naming the file and the key."""
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
    members = _union_members(hint)
    if members is not None:
        options = [option for option in members if option is not type(None)]
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
