"""The settings in the bundle: the configuration without its secrets, and the code book and the
broadcast templates the base uses.

A secret (a key file, a password, the SIM's PIN, the console's TLS key) is left out, by its
key's name, whatever section holds it: the receiving organisation sets up its own. Asked to
(`--with-secrets`), the bundle carries them, the files in config/secrets/; never the store's data
key, which only opens the old store. Paths are reduced to file names, which the configuration
reads beside itself; the two books are carried whole and named where the configuration reads
them.
"""

from __future__ import annotations

import re
import typing
from importlib import resources
from pathlib import Path
from typing import Any

import tomli_w

from gateway import features
from gateway.config import CORE_SECTIONS, Config, read_toml
from gateway.outreach.config import outreach_settings

CONFIG, CODEBOOK, TEMPLATES = "config/gateway.toml", "config/codebook.toml", "config/broadcasts.toml"
SECRET_KEY = re.compile(r"pin|.*password.*|.*secret.*|.*key_file|tls_key")
# (section, key) of the files the bundle carries, and the names it gives them
CARRIED = {("codes", "file"): Path(CODEBOOK).name, ("outreach", "templates"): Path(TEMPLATES).name}
SECRETS = "config/secrets/"
NEVER_CARRIED = {("store", "key_file")}


def config_files(config: Config, with_secrets: bool = False) -> tuple[dict[str, bytes], list[str]]:
    """The settings' files by their names in the bundle, and the keys left out (`[mqtt]
    password_file`)."""
    raw = read_toml(config.source)
    kinds = {name: kind for name, (kind, _) in CORE_SECTIONS.items()} | features.sections()
    left_out = []
    secrets: dict[str, bytes] = {}
    for section, table in raw.items():
        hints = typing.get_type_hints(kinds[section])
        for key in list(table):
            if SECRET_KEY.fullmatch(key) and with_secrets and (section, key) not in NEVER_CARRIED:
                if _is_path(hints.get(key)):
                    secret = config.source.parent / Path(table[key]).expanduser()
                    secrets[SECRETS + secret.name] = secret.read_bytes()
                    table[key] = f"secrets/{secret.name}"
            elif SECRET_KEY.fullmatch(key):
                del table[key]
                left_out.append(f"[{section}] {key}")
            elif (section, key) in CARRIED:
                table[key] = CARRIED[section, key]
            elif _is_path(hints.get(key)):
                table[key] = Path(table[key]).name
    heading = (f"# Base {config.base.id}'s configuration as handed over. Left out: "
               f"{', '.join(left_out) or 'nothing'}; paths are file names, read beside this "
               "file.\n\n")
    codes = config.codes.file if config.codes else None
    return {CONFIG: (heading + tomli_w.dumps(raw)).encode("utf-8"),
            CODEBOOK: book_text(codes, "codebook.toml"),
            TEMPLATES: book_text(outreach_settings(config).templates, "broadcasts.toml"),
            **secrets}, left_out


def book_text(path: Path | None, built_in: str) -> bytes:
    """A book's file as the gateway reads it: the configured one, else the built-in one."""
    if path is None:
        return resources.files("gateway").joinpath(f"data/{built_in}").read_bytes()
    return path.read_bytes()


def _is_path(hint: Any) -> bool:
    return hint is Path or Path in typing.get_args(hint)
