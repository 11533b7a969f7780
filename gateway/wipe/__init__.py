"""The emergency wipe: when a base is about to be overrun or abandoned, nothing it holds may
name the people who warned it.

Order (each step recorded in the journal, gateway/wipe/journal.py, so that an interruption is
finished by whoever comes next):
1. the journal, with every path to destroy, is written and synced;
2. the data key is overwritten, synced and unlinked, and every key this process holds in
   memory is dropped: from this instant nothing stored is readable (`begin`);
3. the store, its WAL and -shm, its backups and corrupt copies (with the pseudonym secret and
   the registry inside), the command keys, the gateway's log files (`wipe` returns here);
4. with the links free (the daemon's workers stopped): the SMS on the SIM (`AT+CMGD=1,4`) and
   its phonebook, a last `wiped` event over MQTT and by satellite if configured, then the
   broker's password; the daemon stops (`finish`).
Afterwards the store refuses to open and the daemon to start (exit status EXIT_WIPED) until
`cangw setup-after-wipe`.

Triggers: `cangw wipe`, the panel's button held `[panel] long_press` seconds (the buzzer counts
down), the satellite command `wipe` from headquarters; the MQTT command topic and the
console's admin page call `wipe(config, trigger)` the same way (README, "The emergency wipe").
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from gateway.config import Config
from gateway.errors import GatewayError
from gateway.store import crypto
from gateway.store.wiped import journal_path
from gateway.timeutil import iso_utc
from gateway.wipe import files
from gateway.wipe.journal import DONE, STARTED, Journal, daemon_lock, daemon_running, locked

log = logging.getLogger(__name__)

EXIT_WIPED = 78  # EX_CONFIG: the unit file does not restart a daemon that exits with it
__all__ = ["EXIT_WIPED", "WipeReport", "daemon_lock", "daemon_running", "finish",
           "refuse_to_start", "wipe", "wiped"]


@dataclass(frozen=True)
class WipeReport:
    unreadable_after: float  # seconds from the trigger until the key was destroyed
    erased_after: float  # ... until the files were gone
    journal: Path


def wipe(config: Config, trigger: str, triggered_at: float | None = None) -> WipeReport:
    """Make everything the gateway stored unreadable and erase its files, now. `trigger` says
    what asked (panel, cli, headquarters, console: no name), `triggered_at` when
    (time.monotonic(); default now). Safe to call from any thread or process, and again: a
    running daemon notices the journal within a second, stops its workers and `finish`es."""
    started = time.monotonic() if triggered_at is None else triggered_at
    # under the lock `finish` takes: a running daemon that sees the journal and finishes the
    # wipe must not write the journal at the same time (both replace it through one .part file)
    with locked(config.store.path):
        journal = begin(config, trigger)
        unreadable = time.monotonic() - started
        erase_files(journal)
        erased = time.monotonic() - started
    log.warning("WIPED (%s): the data key was destroyed %.0f ms after the trigger and the "
                "store's files %.0f ms after it", trigger, unreadable * 1000, erased * 1000)
    return WipeReport(unreadable, erased, journal.path)


def begin(config: Config, trigger: str) -> Journal:
    """Steps 1 and 2: after this returns, nothing stored can be read by anyone."""
    journal = Journal.load(config.store.path)
    if journal is None:
        now = time.time()
        journal = Journal(journal_path(config.store.path), {
            "version": 1, "state": STARTED, "trigger": trigger, "started_at": now,
            "started_at_utc": iso_utc(now), "base": config.base.id,
            "instance": files.read_meta(config.store.path, "instance") or "0000",
            "key_file": str(config.store.data_key),
            **files.inventory(config), "steps": {}})
        journal.save()
    crypto.forget_all()
    crypto.destroy_key(Path(journal.record["key_file"]))
    journal.mark("key", "destroyed")
    return journal


def erase_files(journal: Journal) -> None:
    """Step 3 (again after an interruption: each unlink is idempotent). A file this process
    may not destroy (a command key in /etc/cangw, which the daemon's and the console's units
    only read) is said, in the log and the journal, and the others are erased all the same."""
    kept = [path for path in journal.record.get("secrets", []) if not _destroyed(path)]
    removed = 0
    for path in journal.record.get("files", []) + journal.record.get("logs", []):
        try:
            removed += files.unlink(Path(path))
        except OSError as exc:
            log.error("wipe: cannot erase %s: %s", path, exc)
            kept.append(path)
    if journal.outcome("files") is None or removed or kept:  # an interrupted wipe says what it found
        journal.mark("files", f"erased ({removed} file(s))" +
                     (f"; NOT destroyed: {', '.join(kept)}" if kept else ""))


def _destroyed(path: str) -> bool:
    try:
        crypto.destroy_key(Path(path))
    except OSError as exc:
        log.error("wipe: cannot destroy %s: %s (destroy it by hand: sudo shred -u %s)", path,
                  exc, path)
        return False
    return True


def finish(config: Config) -> Journal:
    """Steps 1-4 that are not done yet (no new journal is started here). Each step that needs
    a link is tried once; a failure is recorded and the wipe still ends."""
    with locked(config.store.path):
        journal = Journal.load(config.store.path)
        if journal is None or journal.done:
            return journal or Journal(journal_path(config.store.path))
        crypto.forget_all()
        crypto.destroy_key(Path(journal.record.get("key_file", config.store.data_key)))
        erase_files(journal)
        for step, action in _link_steps(config, journal.record):
            if journal.outcome(step) is None:
                journal.mark(step, _attempt(step, action))
        for path in journal.record.get("last", []):
            _destroyed(path)
        journal.record |= {"state": DONE, "finished_at_utc": iso_utc(time.time())}
        journal.save()
    log.warning("wipe finished: %s", "; ".join(f"{k}: {v}" for k, v in journal.record["steps"]
                                               .items()))
    return journal


def wiped(config: Config) -> bool:
    return journal_path(config.store.path).exists()


def refuse_to_start(config: Config) -> int:
    """What the daemon does once wiped: finish what an interruption left, say why it does not
    start, and return EXIT_WIPED."""
    journal = finish(config)
    log.error("this gateway was wiped (%s, by %s): it receives and stores nothing until it is "
              "set up again (cangw setup-after-wipe)", journal.record.get("started_at_utc"),
              journal.record.get("trigger"))
    return EXIT_WIPED


def _attempt(step: str, action: Callable[[], str]) -> str:
    try:
        return action()
    except (GatewayError, OSError, ValueError) as exc:
        log.error("wipe: %s failed: %s", step, exc)
        return f"failed: {exc}"


def _link_steps(config: Config, record: dict) -> list[tuple[str, Callable[[], str]]]:
    """Step 4's work on the configured links, in order."""
    # The modem, broker and satellite code is loaded only here: the console, which imports the
    # wipe for its admin page, keeps ~5 MB less resident for a step the daemon nearly always does.
    from gateway.wipe import devices, farewell

    steps: list[tuple[str, Callable[[], str]]] = []
    if config.gsm is not None:
        gsm = config.gsm
        steps.append(("sim", lambda: devices.empty_sim(gsm)))
    if config.mqtt is not None:
        steps.append(("mqtt", lambda: farewell.tell_mqtt(config, record)))
    if config.sbd is not None:
        steps.append(("satellite", lambda: farewell.tell_satellite(config, record)))
    return steps


