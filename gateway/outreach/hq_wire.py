"""Headquarters' commands on the wire: the MQTT form (signed JSON) and the satellite `broadcast`
argument (docs/sbd-format.md). `cangw hq-command` builds both; the base reads both.

MQTT, on `{topic_prefix}/{base_id}/commands`: `{"body": "<JSON text>", "tag": "<hex>"}` where the
body is `{"base", "counter", "command": "ping" | "broadcast", ...}` and the tag is
HMAC-SHA256(key, "cangw-mqtt-command-v1" || base id || the body's UTF-8 bytes) in hex: the body
is signed as the exact text sent, so no JSON canonical form is needed. The key and the counter
are the satellite commands' (one counter that only grows, whichever way a command came).

Satellite broadcast argument: one flags byte (bit 0: free text rather than a template; bit 1:
force over the budget; bits 2-4: only these languages, fr sw en, none set: every language), the
target as a short ASCII text, then a template (varint number, a byte with the parameter count,
each parameter a short UTF-8 text, in the template's order) or the text (a short UTF-8 text).
"""

from __future__ import annotations

import contextlib
import hashlib
import hmac
import json
import re
from collections.abc import Iterable
from dataclasses import dataclass, field

from gateway.alerts.codes import LANGUAGES
from gateway.errors import CommandRejected, SbdFormatError
from gateway.sbd import commands
from gateway.sbd.wire import Reader, short_text, varint

MQTT_DOMAIN = b"cangw-mqtt-command-v1"
MAX_PAYLOAD = 4096
COMMANDS = ("ping", "broadcast", "wipe")
TEXT_FLAG, FORCE_FLAG, LANGUAGE_SHIFT = 0x01, 0x02, 2
TARGET_TEXT = re.compile(r"[ -~]{1,255}")
MAX_PARAMS = 8


@dataclass(frozen=True)
class BroadcastRequest:
    """What headquarters asks: a template (by number or name) and its parameters (by name, or in
    the template's order), or a text (one for all, or by language)."""

    target: str
    template: int | str | None = None
    params: dict[str, str] | tuple[str, ...] = field(default_factory=dict)
    text: str | dict[str, str] | None = None
    languages: tuple[str, ...] = ()
    force: bool = False


@dataclass(frozen=True)
class HqCommand:
    counter: int
    name: str
    broadcast: BroadcastRequest | None = None


# -- MQTT -------------------------------------------------------------------------------------
def _tag(key: bytes, base: str, body: bytes) -> str:
    return hmac.new(key, MQTT_DOMAIN + base.encode("ascii") + body, hashlib.sha256).hexdigest()


def sign_mqtt(key: bytes, base: str, command: HqCommand) -> bytes:
    """The MQTT payload of `command` for base `base`."""
    body: dict[str, object] = {"base": base, "counter": command.counter, "command": command.name}
    request = command.broadcast
    if request is not None:
        body |= {"target": request.target, "template": request.template,
                 "params": request.params if isinstance(request.params, dict)
                 else list(request.params), "text": request.text,
                 "languages": list(request.languages), "force": request.force}
    text = json.dumps(body, ensure_ascii=False, separators=(",", ":"))
    return json.dumps({"body": text, "tag": _tag(key, base, text.encode("utf-8"))},
                      ensure_ascii=False).encode("utf-8")


def verify_mqtt(key: bytes, base: str, payload: bytes, last_counter: int) -> HqCommand:
    """The command in an MQTT payload if it is authentic, for this base, and newer than
    `last_counter`; CommandRejected says why not (nothing in it is trusted before the tag)."""
    if len(payload) > MAX_PAYLOAD:
        raise CommandRejected(f"{len(payload)} bytes: larger than {MAX_PAYLOAD}")
    try:
        outer = json.loads(payload.decode("utf-8"))
        body_text, tag = outer["body"], outer["tag"]
        if not isinstance(body_text, str) or not isinstance(tag, str):
            raise TypeError("body and tag are texts")
    except (UnicodeDecodeError, ValueError, KeyError, TypeError) as exc:
        raise CommandRejected(f"not a signed command ({type(exc).__name__})") from None
    if not hmac.compare_digest(tag.lower(), _tag(key, base, body_text.encode("utf-8"))):
        raise CommandRejected("authentication failed (wrong key, another base, or altered)")
    try:
        body = json.loads(body_text)
        counter, name = body["counter"], body["command"]
        if body.get("base") != base or not isinstance(counter, int) or name not in COMMANDS:
            raise ValueError("base, counter or command")
    except (ValueError, KeyError, TypeError) as exc:
        raise CommandRejected(f"a signed body that is not a command ({exc})") from None
    if counter <= last_counter:
        raise CommandRejected(f"replayed or out of order: counter {counter}, last accepted "
                              f"{last_counter}")
    if last_counter and counter - last_counter > commands.MAX_AHEAD:
        raise CommandRejected(f"counter {counter} is absurdly far ahead of the last accepted "
                              f"({last_counter}); a new key starts afresh")
    if name in ("ping", "wipe"):
        return HqCommand(counter, name)
    try:
        request = BroadcastRequest(
            str(body["target"]), body.get("template"), _params(body.get("params")),
            body.get("text"), tuple(body.get("languages") or ()), bool(body.get("force")))
    except (KeyError, TypeError, ValueError) as exc:
        raise CommandRejected(f"a broadcast without what it needs ({exc})") from None
    return HqCommand(counter, name, request)


def last_counter(key: bytes, base: str, accepted: Iterable[bytes]) -> int:
    """The highest counter among accepted commands that `key` signed for `base`, whichever way
    they came (satellite bytes or MQTT JSON): one counter for both ways, so a command sent both
    ways is carried out once, and a new key starts afresh."""
    raws = list(accepted)
    best = commands.last_counter(key, base, raws)
    for raw in raws:
        if raw.startswith(b"{"):
            with contextlib.suppress(CommandRejected):
                best = max(best, verify_mqtt(key, base, raw, 0).counter)
    return best


def _params(value: object) -> dict[str, str] | tuple[str, ...]:
    if value is None:
        return {}
    if isinstance(value, dict):
        return {str(k): str(v) for k, v in value.items()}
    if isinstance(value, list):
        return tuple(str(v) for v in value)
    raise TypeError("params: an object or a list")


# -- satellite --------------------------------------------------------------------------------
def encode_broadcast(request: BroadcastRequest) -> bytes:
    """The satellite `broadcast` command's argument; ValueError when it cannot be carried (a
    template by name, more than 8 parameters, a text per language)."""
    flags = FORCE_FLAG if request.force else 0
    for index, language in enumerate(LANGUAGES):
        if language in request.languages:
            flags |= 1 << (LANGUAGE_SHIFT + index)
    out = bytearray()
    if request.template is not None:
        if not str(request.template).isdigit():
            raise ValueError("the satellite names a template by its number")
        params = request.params if isinstance(request.params, tuple) else \
            tuple(request.params.values())
        if len(params) > MAX_PARAMS:
            raise ValueError(f"at most {MAX_PARAMS} parameters")
        out += varint(int(request.template)) + bytes([len(params)])
        for value in params:
            out += short_text(value, "parameter", "utf-8")
    elif isinstance(request.text, str):
        flags |= TEXT_FLAG
        out += short_text(request.text, "text", "utf-8")
    else:
        raise ValueError("the satellite carries one text for every language")
    return bytes([flags]) + short_text(request.target, "target") + bytes(out)


def decode_broadcast(argument: bytes) -> BroadcastRequest:
    """The request in a satellite `broadcast` argument; SbdFormatError when it is not one."""
    reader = Reader(argument)
    flags = reader.byte("flags")
    if flags & 0xE0:
        raise SbdFormatError("broadcast flags: bits 5-7 are reserved")
    target = reader.short_text("target", TARGET_TEXT)
    languages = tuple(language for index, language in enumerate(LANGUAGES)
                      if flags & (1 << (LANGUAGE_SHIFT + index)))
    force = bool(flags & FORCE_FLAG)
    if flags & TEXT_FLAG:
        text = reader.short_text("text", encoding="utf-8")
        reader.end()
        return BroadcastRequest(target, text=text, languages=languages, force=force)
    template = reader.varint("template")
    count = reader.byte("parameter count")
    if count > MAX_PARAMS:
        raise SbdFormatError(f"{count} parameters: at most {MAX_PARAMS}")
    params = tuple(reader.short_text("parameter", encoding="utf-8") for _ in range(count))
    reader.end()
    return BroadcastRequest(target, template, params, languages=languages, force=force)
