"""Files that hold a secret: the satellite command key, the broker's password, the bridge's
webhook secret. One that others on the box may read is no secret, and one they may change lets
them in, so such a file is refused with what to do about it."""

from __future__ import annotations

import stat
from pathlib import Path

from gateway.errors import ConfigError


def read_secret(path: Path, what: str) -> str:
    """The file's text without surrounding blanks (never logged); ConfigError naming the file
    when it cannot be read, or when others may read or change it."""
    try:
        if path.stat().st_mode & (stat.S_IROTH | stat.S_IWOTH):
            raise ConfigError(f"{path}: others can read or change this {what}; make it "
                              f"private: chmod o-rwx {path} (0640 root:cangw, or 0600)")
        return path.read_text(encoding="utf-8").strip()
    except (OSError, UnicodeDecodeError) as exc:
        raise ConfigError(f"{path}: cannot read the {what}: {exc}") from None
