"""Plain records passed between the links, the parser and the store."""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass(frozen=True)
class Village:
    number: int
    name: str
    alt_names: tuple[str, ...] = ()
    lat: float | None = None
    lon: float | None = None
    zone: str | None = None  # the area it belongs to (the network report, silences)
    checkin: str | None = None  # its check-in schedule ("by 18:00"), or a schedule's name


@dataclass(frozen=True)
class FocalPoint:
    """A registered sender, known by phone number, by radio callsign, or both."""

    phone: str | None
    name: str
    village: int | None = None
    language: str | None = None
    callsign: str | None = None
    call_meaning: str | None = None  # what a missed call from them means, e.g. "1" (code 1)
    keypad: bool = False  # may key in a code (DTMF) during a call
    gender: str | None = None  # f, m, other; None: unstated (never leaves the base)
    age_group: str | None = None  # youth, adult, elder; None: unstated (never leaves the base)
    checkin: str | None = None  # their own check-in schedule, or a schedule's name


@dataclass(frozen=True)
class ParsedAlert:
    """What the parser understood. `code` is None for an unparsed report."""

    code: str | None
    language: str | None = None
    village: Village | None = None
    count: int | None = None
    text: str = ""


@dataclass(frozen=True)
class SmsPart:
    """One SMS as read from the modem: a whole message, or one part of a concatenated one."""

    fingerprint: str
    sender: str | None
    text: str
    modem_time: str | None = None
    concat_ref: int | None = None
    concat_total: int = 1
    concat_seq: int = 1
    decode_error: str | None = None
    raw_pdu: str | None = None
    extra: dict = field(default_factory=dict)

    @property
    def is_fragment(self) -> bool:
        return self.concat_ref is not None and self.concat_total > 1
