"""Commands from headquarters, carried out: a `broadcast` (by MQTT or satellite) becomes a
broadcast like one sent at the base, and a `ping` over MQTT is answered on the events topic.

A command is verified before anything in it is used (gateway/outreach/hq_wire.py for MQTT,
gateway/sbd/commands.py for the satellite); a bad signature, a command for another base or a
counter not above the last accepted one (a replay) is refused, logged and kept in the store,
never carried out. An accepted command, its outcome and the broadcast it made are committed in
one transaction: a command is carried out once, however often it arrives (a broker redelivers
what it sent before a crash; headquarters may send one command both ways).
"""

from __future__ import annotations

import json
import logging
import time

from sqlite_utils import Database

from gateway.alerts.codes import PRIORITY
from gateway.alerts.payload import SCHEMA_VERSION
from gateway.config import Config
from gateway.errors import CommandRejected, ConfigError
from gateway.outreach import compose
from gateway.outreach.config import outreach_settings
from gateway.outreach.hq_wire import BroadcastRequest, last_counter, verify_mqtt
from gateway.outreach.templates import Book, load_book
from gateway.repeats import Repeats
from gateway.sbd.commands import load_key
from gateway.store import Store, outbox
from gateway.store import sbd as sbd_store
from gateway.timeutil import iso_utc
from gateway.wipe import wipe

log = logging.getLogger(__name__)

BY = "headquarters"
REFUSALS_KEPT_PER_HOUR = 100  # a flood of forged commands must not fill the disk


def execute_broadcast(store: Store, config: Config, book: Book, request: BroadcastRequest,
                      origin: str, counter: int, now: float) -> tuple[int | None, str]:
    """(the broadcast's id, the outcome in words); a request that cannot be carried out (an
    unknown target or template, over the budget) is refused with the reason. Runs inside the
    caller's transaction."""
    settings = outreach_settings(config)
    try:
        params = request.params
        if isinstance(params, tuple):  # the satellite gives them in the template's order
            template = book.template(request.template if request.template is not None else "")
            if len(params) != len(template.params):
                raise ValueError(f"template {template.number} takes {len(template.params)} "
                                 "parameter(s)")
            params = dict(zip(template.params, params, strict=True))
        chosen = compose.draft(book, request.target, request.template, params, request.text,
                               request.languages)
        row, seen = compose.send(store, config, chosen, BY, origin, counter,
                                 request.force and settings.hq_may_force, now)
    except ValueError as exc:
        return None, f"refused: {exc}"
    return row.id, f"broadcast {row.ref} queued for {seen.recipients} recipient(s)"


def queue_event(db: Database, config: Config, event: dict, now: float) -> None:
    """An answer to headquarters on the events topic (when the base has MQTT)."""
    if config.mqtt is None:
        return
    body = {"schema": SCHEMA_VERSION, **event, "base": config.base.id, "time": iso_utc(now)}
    outbox.enqueue(db, "mqtt", PRIORITY["Moderate"], now,
                   body=json.dumps(body, ensure_ascii=False, separators=(",", ":")))


class MqttCommands:
    """Takes what arrives on `{topic_prefix}/{base_id}/commands` (the MQTT worker's)."""

    def __init__(self, store: Store, config: Config, key: bytes, book: Book):
        self.store = store
        self.config = config
        self.key = key
        self.book = book
        self._said = Repeats()

    def take(self, payload: bytes, now: float | None = None) -> bool:
        """Verify, carry out and record one message (committed before it is acknowledged to
        the broker); True when a command was carried out."""
        now = time.time() if now is None else now
        with self.store.transaction() as db:
            try:
                base = self.config.base.id
                command = verify_mqtt(self.key, base, payload, last_counter(
                    self.key, base, sbd_store.accepted_commands(db)))
            except CommandRejected as exc:
                self._refused(db, payload, str(exc), now)
                return False
            if command.name == "wipe":
                outcome = "wiping"
            elif command.broadcast is None:
                outcome = "answered"
                queue_event(db, self.config, {"event": "pong", "counter": command.counter}, now)
            else:
                made, outcome = execute_broadcast(self.store, self.config, self.book,
                                                  command.broadcast, "mqtt", command.counter, now)
                if made is None:
                    queue_event(db, self.config, {"event": "command", "counter": command.counter,
                                                  "command": command.name, "outcome": outcome},
                                now)
            sbd_store.record_command(db, payload, None, outcome, command.counter, command.name,
                                     accepted=True, via="mqtt")
        log.info("MQTT: command %s (counter %d) from headquarters: %s", command.name,
                 command.counter, outcome)
        if command.name == "wipe":
            wipe(self.config, "headquarters (mqtt)")  # the daemon sees it and finishes
        return True

    def _refused(self, db: Database, payload: bytes, reason: str, now: float) -> None:
        if sbd_store.was_accepted(db, payload):  # a broker's redelivery, or a replay
            reason = "carried out already (this very message came again)"
        if sbd_store.refused_since(db, now - 3600) < REFUSALS_KEPT_PER_HOUR:
            sbd_store.record_command(db, payload[:1024], None, f"refused: {reason}", via="mqtt")
        if self._said.due(reason):
            log.warning("MQTT: message on the command topic (%d bytes) refused: %s",
                        len(payload), reason)


def hq_commands(store: Store, config: Config) -> MqttCommands | None:
    """The MQTT command desk, when the base has a command key ([mqtt] command_key_file, else
    [sbd]'s); without one the base does not subscribe: there is nobody to believe."""
    mqtt, sbd = config.mqtt, config.sbd
    path = (mqtt.command_key_file if mqtt else None) or (sbd.command_key_file if sbd else None)
    if path is None:
        log.info("MQTT: no command key; commands from headquarters are not taken")
        return None
    try:
        key = load_key(path)
    except ConfigError as exc:
        log.error("MQTT: %s; commands from headquarters are not taken", exc)
        return None
    return MqttCommands(store, config, key, load_book(outreach_settings(config).templates))
