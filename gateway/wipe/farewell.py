"""The base's last words: a `wiped` event to headquarters over MQTT and, if configured, by
satellite, so that headquarters knows the silence that follows is deliberate, and can revoke
the base's credentials. The event names the base, the time and what triggered the wipe (panel,
cli, headquarters, console): never a person.
"""

from __future__ import annotations

import json
import time

from gateway.config import Config
from gateway.errors import LinkError
from gateway.mqtt.link import MqttLink
from gateway.sbd.link import SbdModem
from gateway.sbd.reply import Wiped, encode_wiped
from gateway.timeutil import iso_utc

MQTT_WAIT = 15.0  # seconds to connect and have both messages acknowledged
SBD_ATTEMPTS = 3


def event(record: dict) -> dict:
    return {"schema": 1, "event": "wiped", "base": record["base"],
            "time": iso_utc(record["started_at"]), "trigger": record["trigger"]}


def tell_mqtt(config: Config, record: dict) -> str:
    """Publish the event and a retained `wiped` status (which replaces the base's last one);
    raises LinkError when the broker does not acknowledge both in time."""
    assert config.mqtt is not None
    prefix = f"{config.mqtt.topic_prefix}/{config.base.id}"
    status = json.dumps({"base": config.base.id, "state": "wiped",
                         "time": iso_utc(time.time())}).encode()
    link = MqttLink(config.mqtt, f"{config.mqtt.client_id or 'cangw-' + config.base.id}-wipe",
                    f"{prefix}/status", status)
    link.start()
    try:
        if not link.connected.wait(MQTT_WAIT):
            raise LinkError(f"broker not reachable ({link.last_error or 'no answer'})")
        sent = [link.publish(f"{prefix}/events", json.dumps(event(record)).encode()),
                link.publish(f"{prefix}/status", status, retain=True)]
        for info in sent:
            info.wait_for_publish(MQTT_WAIT)
            if not info.is_published():
                raise LinkError("the broker did not acknowledge the wiped event")
    finally:
        link.stop()
    return "sent"


def tell_satellite(config: Config, record: dict) -> str:
    """Send the 0x03 notice (docs/sbd-format.md) in up to SBD_ATTEMPTS sessions."""
    sbd = config.sbd
    assert sbd is not None
    notice = encode_wiped(Wiped(config.base.id, record["instance"], int(record["started_at"])))
    modem = SbdModem(sbd.port, sbd.baudrate, sbd.command_timeout, sbd.session_timeout,
                     ring_alerts=False)
    modem.open()
    try:
        modem.load(notice)
        for attempt in range(1, SBD_ATTEMPTS + 1):
            result = modem.session()
            if result.sent:
                modem.clear_mo()
                return f"sent (MOMSN {result.momsn}, attempt {attempt})"
        raise LinkError(f"not sent after {SBD_ATTEMPTS} sessions ({result.meaning})")
    finally:
        modem.close()
