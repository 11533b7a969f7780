"""An incident's state as the satellite carries it (docs/sbd-format.md, "Incident record"): the
same facts as the MQTT incident payload, in a few bytes, read back into that payload at
headquarters. Categories travel as the codes of the incident's reports (headquarters has the
base's code book); channels beyond sms, hf, call and voice as one "other" flag.
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass

from gateway.errors import SbdFormatError
from gateway.sbd.bits import BitReader, BitWriter
from gateway.sbd.wire import unzigzag, zigzag

STATES = ("open", "seen", "responding", "closed", "false_alarm", "merged")
LEVELS = ("single", "corroborated", "confirmed")
SEVERITIES = ("Extreme", "Severe", "Moderate", "Minor", "Unknown")
URGENCIES = ("Immediate", "Expected", "Future", "Unknown")
CHANNELS = ("sms", "hf", "call", "voice")  # bits 0-3 of the channel mask; bit 4: another
OTHER_CHANNEL = "other"
MAX_CODE = 13  # codes 0-13 have a bit of the code mask each
OTHER_CODE_BIT, SILENCE_BIT = 14, 15
NUMBER = re.compile(r"[A-Z0-9]{2,8}-([0-9a-f]{4})-I(\d+)")
ALERT = re.compile(r"[A-Z0-9]{2,8}-([0-9a-f]{4})-(\d+)")
FIRST_SEQ_K = 10  # the order of an incident's first alert's sequence number


@dataclass(frozen=True)
class SatIncident:
    number: int  # the n of `KWJ-71b6-In`
    version: int
    state: str
    level: str
    severity: str
    urgency: str
    first_at: int
    last_at: int
    codes: tuple[int, ...] = ()  # the codes (0-13) of its reports
    other_codes: bool = False  # a report without a code, or with a code beyond 13
    silence: bool = False  # villages gone silent, not reports
    zone: str | None = None
    villages: tuple[int, ...] = ()
    reports: int = 0
    repeats: int = 0
    throttled: int = 0
    senders: int = 0
    registered_senders: int = 0
    channels: tuple[str, ...] = ()  # among CHANNELS, and OTHER_CHANNEL
    operator_confirmed: bool = False
    merged_into: int | None = None
    alerts: tuple[int, ...] | None = None  # the reports' sequence numbers; None: not listed


def to_sat_incident(payload: dict, instance: str) -> SatIncident:
    """An incident payload (gateway/triage/publish.py) as the satellite carries it; its alerts
    are listed when they all come from this store `instance`."""
    match = NUMBER.fullmatch(payload["id"])
    if match is None:
        raise ValueError(f"incident id {payload['id']!r} is not KWJ-71b6-I12")
    seqs = [ALERT.fullmatch(uid) for uid in payload["alerts"] or ()]
    listed = payload["alerts"] is not None and \
        all(m is not None and m.group(1) == instance for m in seqs)
    codes = [code for code in payload.get("codes", []) if code is not None]
    numbered = sorted({int(c) for c in codes if str(int(c)) == c and int(c) <= MAX_CODE})
    merged = NUMBER.fullmatch(payload["merged_into"]) if payload.get("merged_into") else None
    corroboration = payload["corroboration"]
    return SatIncident(
        number=int(match.group(2)), version=payload["version"], state=payload["state"],
        level=payload["level"], severity=payload["severity"], urgency=payload["urgency"],
        first_at=int(_seconds(payload["first_report_at"])),
        last_at=int(_seconds(payload["last_report_at"])), codes=tuple(numbered),
        other_codes=None in payload.get("codes", []) or len(numbered) < len(codes),
        silence=payload["category"] == "silence", zone=payload.get("zone"),
        villages=tuple(v["number"] for v in payload["villages"]), reports=payload["reports"],
        repeats=payload["repeats"], throttled=payload["throttled_reports"],
        senders=corroboration["senders"], registered_senders=corroboration["registered_senders"],
        channels=tuple(c for c in (*CHANNELS, OTHER_CHANNEL) if c in {
            name if name in CHANNELS else OTHER_CHANNEL for name in corroboration["channels"]}),
        operator_confirmed=corroboration["operator_confirmed"],
        merged_into=int(merged.group(2)) if merged else None,
        alerts=tuple(int(m.group(2)) for m in seqs if m) if listed else None)


def _seconds(iso: str | None) -> float:
    if iso is None:
        return 0.0
    return dt.datetime.fromisoformat(iso.replace("Z", "+00:00")).timestamp()


@dataclass(frozen=True)
class Orders:
    """The exp-Golomb orders an incident section uses (chosen by the encoder, written once)."""

    number: int
    time: int
    village: int


def write_incident(out: BitWriter, incident: SatIncident, previous: int, reference: int,
                   orders: Orders) -> None:
    if incident.number <= previous:
        raise ValueError("incidents go in increasing number")
    out.golomb(incident.number - previous - 1, orders.number)
    out.golomb(incident.version, 2)
    for value, names, width in ((incident.state, STATES, 3), (incident.level, LEVELS, 2),
                                (incident.severity, SEVERITIES, 3),
                                (incident.urgency, URGENCIES, 2)):
        if value not in names:
            raise ValueError(f"{value!r}: one of {', '.join(names)}")
        out.bits(names.index(value), width)
    mask = sum(1 << code for code in incident.codes) | incident.other_codes << OTHER_CODE_BIT \
        | incident.silence << SILENCE_BIT
    out.bits(mask, 16)
    if incident.silence:
        zone = (incident.zone or "").encode("utf-8")
        if len(zone) > 255:
            raise ValueError("zone name over 255 bytes")
        out.bits(len(zone), 8)
        out.raw(zone)
    out.golomb(zigzag(incident.first_at - reference), orders.time)
    out.golomb(incident.last_at - incident.first_at, orders.time)
    out.golomb(len(incident.villages), 0)
    for village in incident.villages:
        out.golomb(village, orders.village)
    for count in (incident.reports, incident.repeats, incident.throttled, incident.senders,
                  incident.registered_senders):
        out.golomb(count, 1)
    out.bits(sum(1 << CHANNELS.index(c) for c in incident.channels if c in CHANNELS)
             | (OTHER_CHANNEL in incident.channels) << len(CHANNELS), 5)
    out.flag(incident.operator_confirmed)
    out.flag(incident.merged_into is not None)
    if incident.merged_into is not None:
        out.golomb(incident.merged_into, orders.number)
    out.flag(incident.alerts is not None)
    if incident.alerts is not None:
        seqs = sorted(incident.alerts)
        out.golomb(len(seqs), 1)
        last = 0
        for seq in seqs:
            out.golomb(seq - last, FIRST_SEQ_K if last == 0 else 2)
            last = seq


def read_incident(reader: BitReader, where: str, previous: int, reference: int,
                  orders: Orders) -> SatIncident:
    number = previous + 1 + reader.golomb(orders.number, f"{where} number")
    version = reader.golomb(2, f"{where} version")
    state = _pick(reader.bits(3, where), STATES, f"{where} state")
    level = _pick(reader.bits(2, where), LEVELS, f"{where} level")
    severity = _pick(reader.bits(3, where), SEVERITIES, f"{where} severity")
    urgency = _pick(reader.bits(2, where), URGENCIES, f"{where} urgency")
    mask = reader.bits(16, f"{where} codes")
    silence = bool(mask >> SILENCE_BIT & 1)
    zone = None
    if silence:
        raw = reader.raw(reader.bits(8, f"{where} zone"), f"{where} zone")
        try:
            zone = raw.decode("utf-8") or None
        except UnicodeDecodeError as exc:
            raise SbdFormatError(f"{where} zone: not UTF-8: {exc.reason}") from None
    first_at = reference + unzigzag(reader.golomb(orders.time, f"{where} time"))
    last_at = first_at + reader.golomb(orders.time, f"{where} span")
    if not 0 <= first_at <= last_at < 1 << 32:
        raise SbdFormatError(f"{where}: time out of range")
    villages = tuple(reader.golomb(orders.village, f"{where} village")
                     for _ in range(reader.golomb(0, f"{where} villages")))
    reports, repeats, throttled, senders, registered = (
        reader.golomb(1, f"{where} counts") for _ in range(5))
    channel_mask = reader.bits(5, f"{where} channels")
    channels = tuple(c for i, c in enumerate((*CHANNELS, OTHER_CHANNEL)) if channel_mask >> i & 1)
    confirmed = reader.flag(where)
    merged_into = reader.golomb(orders.number, f"{where} merged into") \
        if reader.flag(where) else None
    alerts = None
    if reader.flag(where):
        seqs: list[int] = []
        last = 0
        for _ in range(reader.golomb(1, f"{where} alerts")):
            last += reader.golomb(FIRST_SEQ_K if last == 0 else 2, f"{where} alert")
            seqs.append(last)
        alerts = tuple(seqs)
    return SatIncident(
        number, version, state, level, severity, urgency, first_at, last_at,
        tuple(code for code in range(MAX_CODE + 1) if mask >> code & 1),
        bool(mask >> OTHER_CODE_BIT & 1), silence, zone, villages, reports, repeats, throttled,
        senders, registered, channels, confirmed, merged_into, alerts)


def _pick(index: int, names: tuple[str, ...], what: str) -> str:
    if index >= len(names):
        raise SbdFormatError(f"{what}: value {index} is not defined")
    return names[index]

