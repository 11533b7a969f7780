"""SMS PDUs (3GPP TS 23.040) in and out, on top of python-gsmmodem-new's codec.

The library decodes UCS-2 one 16-bit unit at a time, so an emoji arrives as two lone
surrogates that SQLite refuses; here they are re-paired into one character. Anything the codec
cannot decode becomes an SmsPart that carries the hex and the reason, never an exception; a
header that cannot be true (part 0 of 3, part 5 of 3, elements of the wrong length) makes a
message of its own, so that its sender is still known and answered.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import logging
from dataclasses import dataclass

from gsmmodem import pdu as gsmpdu

from gateway.model import SmsPart

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class SubmitPdu:
    hex: str
    tpdu_length: int


MIN_VALIDITY = 300.0  # the shortest relative validity period a PDU can carry
FINGERPRINT_CHARS = 32  # 128 bits: no collision in a base's lifetime, a smaller unique index


def fingerprint(pdu_hex: str) -> str:
    """Identity of one stored SMS: the same PDU read twice is the same message."""
    digest = hashlib.sha256(pdu_hex.strip().upper().encode("ascii", "replace")).hexdigest()
    return digest[:FINGERPRINT_CHARS]


def decode_deliver(pdu_hex: str) -> SmsPart:
    """Decode an SMS-DELIVER PDU as read with AT+CMGR/AT+CMGL in PDU mode."""
    pdu_hex = pdu_hex.strip()
    print_id = fingerprint(pdu_hex)
    try:
        decoded = gsmpdu.decodeSmsPdu(_readable_header(pdu_hex))
        if decoded.get("type") != "SMS-DELIVER":
            raise ValueError(f"not an SMS-DELIVER but {decoded.get('type')}")
        text = repair_surrogates(decoded.get("text") or "")
        concat = next((ie for ie in decoded.get("udh") or []
                       if isinstance(ie, gsmpdu.Concatenation)), None)
        if concat is not None and concat.parts > 1 and not 1 <= concat.number <= concat.parts:
            log.warning("SMS with an impossible multipart header (part %d of %d): taken as a "
                        "message of its own", concat.number, concat.parts)
            concat = None
        sent = decoded.get("time")
        part = concat if concat is not None and concat.parts > 1 else None
        return SmsPart(
            fingerprint=print_id,
            sender=decoded.get("number"),
            text=text,
            modem_time=sent.isoformat() if sent is not None else None,
            concat_ref=part.reference if part else None,
            concat_total=part.parts if part else 1,
            concat_seq=part.number if part else 1,
        )
    except Exception as exc:  # the codec raises many kinds of error on bad input
        return SmsPart(fingerprint=print_id, sender=None, text="", raw_pdu=pdu_hex.upper(),
                       decode_error=f"{type(exc).__name__}: {exc}")


# The header elements the codec interprets, and the only length each may have (TS 23.040 9.2.3.24)
INTERPRETED_LENGTHS = {0x00: 3, 0x08: 4, 0x04: 2, 0x05: 4}
OPAQUE_ELEMENT = 0x70  # an identifier the codec passes over without interpreting


def _readable_header(pdu_hex: str) -> str:
    """The PDU as given; or, when its user data header cannot be true (elements that overrun
    it, a concatenation or port element of the wrong length), with the header turned into one
    element the codec passes over. Its length is kept, so the text still decodes where it is,
    and the SMS is a message of its own from its sender."""
    try:
        data = bytes.fromhex(pdu_hex)
        at = _header_offset(data)
    except (ValueError, IndexError):
        return pdu_hex  # the codec says what is wrong with it
    if at is None or at >= len(data):
        return pdu_hex
    size = data[at]
    header = data[at + 1:at + 1 + size]
    if size < 2 or len(header) < size:
        return pdu_hex
    position = 0
    while position + 2 <= size:
        element, length = header[position], header[position + 1]
        if INTERPRETED_LENGTHS.get(element, length) != length:
            break
        position += 2 + length
    if position == size:
        return pdu_hex
    log.warning("SMS with an unreadable header (%d octets): taken as a message of its own", size)
    return (data[:at + 1] + bytes([OPAQUE_ELEMENT, size - 2]) + data[at + 3:]).hex().upper()


def _header_offset(data: bytes) -> int | None:
    """Where the user data header of an SMS-DELIVER starts (its length octet), if it has one."""
    position = 1 + data[0]  # the service centre's address
    first = data[position]
    if first & 0x03 != 0 or not first & 0x40:  # not a DELIVER, or no header
        return None
    position += 1
    position += 2 + (data[position] + 1) // 2  # sender: digits, type, semi-octets
    return position + 1 + 1 + 7 + 1  # protocol, coding, time stamp, user data length


def repair_surrogates(text: str) -> str:
    """Join UTF-16 surrogate pairs into real characters; replace any that stand alone."""
    if not any("\ud800" <= ch <= "\udfff" for ch in text):
        return text
    return text.encode("utf-16-le", "surrogatepass").decode("utf-16-le", "replace")


def encode_submit(number: str, text: str, reference: int = 0, report: bool = False,
                  validity: float | None = None) -> list[SubmitPdu]:
    """SMS-SUBMIT PDUs for a message (several when it is long; `reference` also numbers the
    parts, so two long messages to one phone are not mixed). A status report is asked only
    with `report` (broadcasts and follow-ups): acknowledgements are cheap to re-send and
    reports would only fill the SIM. `validity` (seconds) is how long the network keeps trying
    (the PDU carries at least 5 minutes)."""
    period = None if validity is None else dt.timedelta(seconds=max(validity, MIN_VALIDITY))
    pdus = gsmpdu.encodeSmsSubmitPdu(number, split_astral(text), reference=reference & 0xFF,
                                     validity=period, requestStatusReport=report)
    return [SubmitPdu(str(p), p.tpduLength) for p in pdus]


def message_shape(text: str) -> tuple[str, int]:
    """("GSM-7" or "UCS-2", how many SMS) for a text, as `encode_submit` will send it: 160
    GSM-7 characters or 70 UCS-2 ones in one SMS; a longer text goes as parts of 153 or 67."""
    try:
        gsmpdu.encodeGsm7(text)
        encoding = "GSM-7"
    except ValueError:
        encoding = "UCS-2"
    return encoding, len(encode_submit("+10000000000", text))


@dataclass(frozen=True)
class StatusReport:
    reference: int  # the message reference +CMGS gave the part
    recipient: str | None  # the number the part went to
    status: int  # TP-ST (TS 23.040 9.2.3.15)


def decode_status_report(pdu_hex: str) -> StatusReport | None:
    """An SMS-STATUS-REPORT PDU (AT+CMGR of a +CDSI, or the line after +CDS); None when the PDU
    is not one or cannot be read."""
    try:
        decoded = gsmpdu.decodeSmsPdu(pdu_hex.strip())
    except Exception:  # the codec raises many kinds of error on bad input
        return None
    if decoded.get("type") != "SMS-STATUS-REPORT":
        return None
    return StatusReport(int(decoded["reference"]), decoded.get("number"), int(decoded["status"]))


def is_status_report(pdu_hex: str) -> bool:
    """Whether a stored PDU is a status report (TP-MTI 10) rather than a message."""
    try:
        data = bytes.fromhex(pdu_hex.strip())
        return data[1 + data[0]] & 0x03 == 0x02
    except (ValueError, IndexError):
        return False


def split_astral(text: str) -> str:
    """Characters beyond the BMP as surrogate pairs: the codec's UCS-2 encoder takes 16-bit units."""
    out = []
    for ch in text:
        point = ord(ch)
        if point < 0x10000:
            out.append(ch)
        else:
            point -= 0x10000
            out.append(chr(0xD800 + (point >> 10)) + chr(0xDC00 + (point & 0x3FF)))
    return "".join(out)
