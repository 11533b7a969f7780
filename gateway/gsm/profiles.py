"""Modem profiles: what differs between the supported GSM modems (firmware-config/modems.toml).

One file a technician can read and the code can load: init, reset and keypad-tone commands,
USB ids for the udev rules, and the quirks worth knowing before buying or replacing a modem.
The file ships inside the package (gateway/data/modems.toml is a link to it).
"""

from __future__ import annotations

import tomllib
from dataclasses import dataclass
from importlib import resources
from pathlib import Path
from typing import Any

from gateway.errors import ConfigError

DTMF_VALUES = ("char", "ascii", "none")
# how SMS status reports reach the host (AT+CNMI's <ds>): "cds" on the line as +CDS with their
# PDU (ds=1), "cdsi" stored with a +CDSI notice (ds=2, read like a message), "none": not at all
STATUS_REPORTS = {"cds": 1, "cdsi": 2, "none": 0}


@dataclass(frozen=True)
class ModemProfile:
    key: str
    name: str
    match: tuple[str, ...]
    usb: tuple[str, ...]
    at_interface: str
    baudrate: int
    init: tuple[str, ...]
    reset: tuple[str, ...]
    reset_wait: float
    voice: bool
    dtmf_enable: tuple[str, ...]
    dtmf_urc: str
    dtmf_value: str
    status_reports: str
    quirks: tuple[str, ...]


_KINDS: dict[str, type | tuple[type, ...]] = {
          "name": str, "match": list, "usb": list, "at_interface": str, "baudrate": int,
          "init": list, "reset": list, "reset_wait": (int, float), "voice": bool,
          "dtmf_enable": list, "dtmf_urc": str, "dtmf_value": str, "status_reports": str,
          "quirks": list}


def load_profiles(path: Path | None = None) -> dict[str, ModemProfile]:
    """Every profile, validated; ConfigError names the profile and key at fault."""
    if path is None:
        text = resources.files("gateway").joinpath("data/modems.toml").read_text("utf-8")
        where = "modems.toml"
    else:
        text, where = path.read_text("utf-8"), str(path)
    try:
        raw = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"{where}: not valid TOML: {exc}") from None
    return {key: _profile(key, values, where) for key, values in raw.items()}


def find_profile(profiles: dict[str, ModemProfile], model: str | None) -> ModemProfile | None:
    """The profile whose `match` words appear in the modem's model answer (AT+CGMM)."""
    text = (model or "").upper()
    return next((p for p in profiles.values() if any(m.upper() in text for m in p.match)), None)


def _profile(key: str, values: object, where: str) -> ModemProfile:
    if not isinstance(values, dict):
        raise ConfigError(f"{where}: [{key}] must be a table")
    unknown = set(values) - set(_KINDS)
    if unknown:
        raise ConfigError(f"{where}: [{key}] {sorted(unknown)[0]}: unknown key")
    for name, kind in _KINDS.items():
        if name not in values:
            raise ConfigError(f"{where}: [{key}] {name}: missing")
        value = values[name]
        if not isinstance(value, kind) or isinstance(value, bool) != (kind is bool):
            raise ConfigError(f"{where}: [{key}] {name}: wrong type {type(value).__name__}")
        if isinstance(value, list) and not all(isinstance(item, str) for item in value):
            raise ConfigError(f"{where}: [{key}] {name}: expected a list of strings")
    if values["dtmf_value"] not in DTMF_VALUES:
        raise ConfigError(f"{where}: [{key}] dtmf_value: expected one of {', '.join(DTMF_VALUES)}")
    if values["status_reports"] not in STATUS_REPORTS:
        raise ConfigError(f"{where}: [{key}] status_reports: expected one of "
                          + ", ".join(STATUS_REPORTS))
    if (values["dtmf_value"] == "none") != (not values["dtmf_urc"]):
        raise ConfigError(f"{where}: [{key}] dtmf_urc: needed exactly when dtmf_value is not none")
    fields: dict[str, Any] = {k: tuple(v) if isinstance(v, list) else v for k, v in values.items()}
    return ModemProfile(key=key, **fields)
