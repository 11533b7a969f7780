"""SMS-DELIVER PDUs as a network would hand them to a modem (3GPP TS 23.040 / 23.038).

Used by the simulated modem to store what a focal point "sent": GSM-7 with the extension
table, UCS-2 with real UTF-16 surrogate pairs, and concatenated messages with a UDH.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from gsmmodem.pdu import encodeGsm7, packSeptets

GSM7_SINGLE, GSM7_PART = 160, 153
UCS2_SINGLE, UCS2_PART = 140, 134  # octets


@dataclass(frozen=True)
class DeliverPdu:
    hex: str
    text: str
    part: int
    total: int


def build_deliver_pdus(sender: str, text: str, when: dt.datetime | None = None,
                       encoding: str | None = None, reference: int = 0,
                       smsc: str = "+243990000001") -> list[DeliverPdu]:
    """The PDUs a network delivers for `text` from `sender` (several when it is long)."""
    when = when or dt.datetime.now(dt.UTC)
    if encoding is None:
        try:
            encodeGsm7(text)
            encoding = "gsm7"
        except ValueError:
            encoding = "ucs2"
    chunks = _split_gsm7(text) if encoding == "gsm7" else _split_ucs2(text)
    total = len(chunks)
    pdus = []
    for number, chunk in enumerate(chunks, 1):
        udh = bytes([0x00, 0x03, reference & 0xFF, total, number]) if total > 1 else b""
        body = bytearray(_smsc_field(smsc))
        body.append(0x44 if udh else 0x04)  # SMS-DELIVER, no more messages, UDHI when parted
        body += _address_field(sender)
        body.append(0x00)  # protocol identifier
        body.append(0x00 if encoding == "gsm7" else 0x08)
        body += _timestamp(when)
        body += _user_data(chunk, udh, encoding)
        pdus.append(DeliverPdu(body.hex().upper(), chunk, number, total))
    return pdus


def _split_gsm7(text: str) -> list[str]:
    if len(encodeGsm7(text)) <= GSM7_SINGLE:
        return [text]
    chunks, current, size = [], "", 0
    for ch in text:
        cost = len(encodeGsm7(ch))
        if size + cost > GSM7_PART:
            chunks.append(current)
            current, size = "", 0
        current += ch
        size += cost
    return [*chunks, current]


def _split_ucs2(text: str) -> list[str]:
    units = text.encode("utf-16-be")
    if len(units) <= UCS2_SINGLE:
        return [text]
    chunks, current = [], b""
    for ch in text:
        encoded = ch.encode("utf-16-be")  # a surrogate pair stays in one part
        if len(current) + len(encoded) > UCS2_PART:
            chunks.append(current.decode("utf-16-be"))
            current = b""
        current += encoded
    return [*chunks, current.decode("utf-16-be")]


def _user_data(chunk: str, udh: bytes, encoding: str) -> bytes:
    header = bytes([len(udh)]) + udh if udh else b""
    if encoding == "ucs2":
        payload = chunk.encode("utf-16-be")
        return bytes([len(header) + len(payload)]) + header + payload
    septets = encodeGsm7(chunk)
    if not udh:
        return bytes([len(septets)]) + bytes(packSeptets(septets))
    fill = (7 - (len(header) * 8) % 7) % 7  # bits that align the text on a septet boundary
    header_septets = (len(header) * 8 + fill) // 7
    # the codec's padBits counts the header bits in the last septet, not the fill bits
    packed = packSeptets(septets, padBits=(len(header) * 8) % 7)
    return bytes([header_septets + len(septets)]) + header + bytes(packed)


def _semi_octets(digits: str) -> bytes:
    if len(digits) % 2:
        digits += "F"
    return bytes(int(digits[i + 1] + digits[i], 16) for i in range(0, len(digits), 2))


def _smsc_field(smsc: str) -> bytes:
    digits = smsc.lstrip("+")
    encoded = _semi_octets(digits)
    return bytes([len(encoded) + 1, 0x91 if smsc.startswith("+") else 0x81]) + encoded


def _address_field(address: str) -> bytes:
    digits = address.lstrip("+")
    if digits.isdigit():
        toa = 0x91 if address.startswith("+") else 0x81
        return bytes([len(digits), toa]) + _semi_octets(digits)
    packed = bytes(packSeptets(encodeGsm7(address)))
    return bytes([(len(address) * 7 + 3) // 4, 0xD0]) + packed


def _timestamp(when: dt.datetime) -> bytes:
    offset = when.utcoffset() or dt.timedelta(0)
    quarters = int(abs(offset.total_seconds()) // 900)
    zone = f"{quarters:02d}"
    stamp = when.strftime("%y%m%d%H%M%S") + zone
    encoded = bytearray(_semi_octets(stamp))
    if offset < dt.timedelta(0):
        encoded[-1] |= 0x08
    return bytes(encoded)


def build_status_report(reference: int, recipient: str, status: int,
                        sent: dt.datetime | None = None, smsc: str = "+243990000001") -> str:
    """An SMS-STATUS-REPORT PDU (TS 23.040 9.2.2.3) as a network sends it for message
    `reference` to `recipient`: TP-ST `status` (0 received, 0x22 no response, 0x43 not
    obtainable, 0x46 validity over...)."""
    now = dt.datetime.now(dt.UTC)
    body = bytearray(_smsc_field(smsc))
    body.append(0x06)  # SMS-STATUS-REPORT, no more messages
    body.append(reference & 0xFF)
    body += _address_field(recipient)
    body += _timestamp(sent or now)  # when the network took the message
    body += _timestamp(now)  # when it was delivered, or the status last changed
    body.append(status & 0xFF)
    return body.hex().upper()
