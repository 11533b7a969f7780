"""What every command shares: the configuration, the store, and table-or-JSON output."""

from __future__ import annotations

import datetime as dt
import getpass
import io
import json
import os
import re
import sys
import syslog
from collections.abc import Iterable, Sequence
from functools import cached_property
from pathlib import Path
from typing import TextIO

import click

from gateway.config import Config, config_path, load_config
from gateway.errors import GatewayError
from gateway.store import Store


class CliContext:
    def __init__(self, config_file: str | None):
        self.config_file = config_path(config_file)

    @cached_property
    def config(self) -> Config:
        try:
            return load_config(self.config_file)
        except GatewayError as exc:
            raise click.ClickException(str(exc)) from None

    def store(self) -> Store:
        path = self.config.store.path
        fresh = not path.exists()
        try:
            store = Store.open(path, key_file=self.config.store.data_key)
        except GatewayError as exc:
            raise click.ClickException(str(exc)) from None
        if fresh and os.geteuid() == 0:
            _give_to_folder_owner(path, self.config.store.data_key)
        return store


def accept_config_after_commands(group: click.Group) -> None:
    """Give every command under `group` its own `-c/--config` (`cangw run -c FILE`, as
    `gammu-smsd -c FILE` is typed), unless it has a `-c` of its own. The last one given wins."""
    for command in group.commands.values():
        if not any("-c" in param.opts for param in command.params):
            command.params.append(click.Option(
                ["-c", "--config"], type=click.Path(dir_okay=False), expose_value=False,
                callback=_use_config_file, help="Configuration file (the same as `cangw -c`)."))
        if isinstance(command, click.Group):
            accept_config_after_commands(command)


def _use_config_file(ctx: click.Context, param: click.Parameter, value: str | None) -> None:
    context = ctx.find_object(CliContext)
    if value is not None and context is not None:
        context.config_file = Path(value)


def _give_to_folder_owner(path: Path, key_file: Path) -> None:
    """A store (and its data key) that `sudo cangw ...` creates belongs to its folder's owner
    (the `cangw` user on a base), so that the daemon can still write it."""
    folder = path.parent.stat()
    for candidate in (path, path.with_name(f"{path.name}-wal"),
                      path.with_name(f"{path.name}-shm"), key_file):
        if candidate.exists():
            os.chown(candidate, folder.st_uid, folder.st_gid)


AUDIT_IDENTIFIER = "cangw-audit"

pass_context = click.make_pass_decorator(CliContext)

json_option = click.option("--json", "as_json", is_flag=True, help="Print JSON instead of a table.")


# What a terminal acts on instead of showing: C0 and C1 controls (ESC starts the sequences that
# clear the screen or retitle the window; CR overwrites a line) and the bidirectional overrides
# that reorder what is shown. Newlines and tabs lay out the output and stay.
TERMINAL_CONTROLS = re.compile("[\x00-\x08\x0b-\x1f\x7f-\x9f\u061c\u200e\u200f\u202a-\u202e\u2066-\u2069]")


def printable(text: str) -> str:
    """`text` with every terminal control written as its escape (`\\u001b`): visible, and in
    JSON output the same escape JSON uses, so the JSON still decodes to the original text."""
    return TERMINAL_CONTROLS.sub(lambda m: f"\\u{ord(m.group()):04x}", text)


class PrintableStream(io.TextIOBase):
    """A standard stream through which nothing stored (an SMS, a name, a modem's reply) can
    drive the technician's terminal."""

    def __init__(self, stream: TextIO):
        self.stream = stream

    def write(self, text: str) -> int:
        self.stream.write(printable(text))
        return len(text)

    def flush(self) -> None:
        self.stream.flush()

    def isatty(self) -> bool:
        return self.stream.isatty()

    def fileno(self) -> int:
        return self.stream.fileno()

    @property
    def encoding(self) -> str:  # type: ignore[override]
        return getattr(self.stream, "encoding", None) or "utf-8"


def printable_output() -> None:
    """Send everything the command prints (tables, JSON, CSV, prompts, errors, log lines)
    through `printable`: one place, so that no command can forget it."""
    if not isinstance(sys.stdout, PrintableStream):
        sys.stdout = PrintableStream(sys.stdout)
    if not isinstance(sys.stderr, PrintableStream):
        sys.stderr = PrintableStream(sys.stderr)


def local_time(timestamp: float | None) -> str:
    if timestamp is None:
        return "-"
    return dt.datetime.fromtimestamp(timestamp).astimezone().strftime("%Y-%m-%d %H:%M:%S")


def emit(rows: Sequence[dict], columns: Iterable[str], as_json: bool) -> None:
    """Print rows as an aligned table, or as JSON for scripts."""
    if as_json:
        click.echo(json.dumps(list(rows), ensure_ascii=False, indent=2, default=str))
        return
    columns = list(columns)
    if not rows:
        click.echo("(none)")
        return
    cells = [[_cell(row.get(c)) for c in columns] for row in rows]
    widths = [max(len(c), *(len(r[i]) for r in cells)) for i, c in enumerate(columns)]
    click.echo("  ".join(c.upper().ljust(w) for c, w in zip(columns, widths, strict=True)).rstrip())
    for row in cells:
        click.echo("  ".join(v.ljust(w) for v, w in zip(row, widths, strict=True)).rstrip())


def _cell(value: object) -> str:
    if value is None:
        return "-"
    text = printable(str(value).replace("\n", " "))  # escaped before the columns are measured
    return text if len(text) <= 60 else text[:57] + "..."


def operator() -> str:
    """Who runs the command (the person behind sudo, if any)."""
    return os.environ.get("SUDO_USER") or getpass.getuser()


def audit(message: str) -> None:
    """Record a technician's consequential action in the system journal (identifier
    `cangw-audit`, which `cangw logs` shows with the daemon's lines). No phone numbers here."""
    syslog.openlog(AUDIT_IDENTIFIER, 0, syslog.LOG_USER)
    syslog.syslog(syslog.LOG_NOTICE, f"{message} (by {operator()})")
    syslog.closelog()


def parse_since(value: str | None) -> float | None:
    """A `--since` option's ISO date/time as a timestamp (local time when it has no offset)."""
    if not value:
        return None
    try:
        moment = dt.datetime.fromisoformat(value)
    except ValueError:
        raise click.BadParameter(f"not an ISO date/time: {value!r}", param_hint="--since") from None
    return (moment if moment.tzinfo else moment.astimezone()).timestamp()


EXPORT_MODE = 0o640  # the owner writes, the CLI's group reads, others nothing


def private_text_file(path: Path) -> TextIO:
    """`path` opened for writing text, readable by the owner and the CLI's group only, even
    when it existed before open to others (an export is pseudonymised, but it is the base's
    history, and every file the gateway writes is kept from other users)."""
    handle = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, EXPORT_MODE)
    os.fchmod(handle, EXPORT_MODE)
    return os.fdopen(handle, "w", encoding="utf-8", newline="")
