"""SMS PDUs (3GPP TS 23.040) in and out, on top of python-gsmmodem-new's codec.

The library decodes UCS-2 one 16-bit unit at a time, so an emoji arrives as two lone
surrogates that SQLite refuses; here they are re-paired into one character. Anything the codec
cannot decode becomes an SmsPart that carries the hex and the reason, never an exception; a
multipart header that cannot be true (part 0 of 3, part 5 of 3) makes a message of its own, so
that its sender is still known and answered.
"""

from __future__ import annotations

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
        decoded = gsmpdu.decodeSmsPdu(pdu_hex)
        if decoded.get("type") != "SMS-DELIVER":
            raise ValueError(f"not an SMS-DELIVER but {decoded.get('type')}")
        text = repair_surrogates(decoded.get("text") or "")
        concat = next((ie for ie in decoded.get("udh") or []
                       if isinstance(ie, gsmpdu.Concatenation)), None)
        if concat is not None and concat.parts > 1 and not 1 <= concat.number <= concat.parts:
            log.warning("SMS with an impossible multipart header (part %d of %d): taken as a "
                        "message of its own", concat.number, concat.parts)
            concat = None
        whole = concat is None or concat.parts <= 1
        sent = decoded.get("time")
        return SmsPart(
            fingerprint=print_id,
            sender=decoded.get("number"),
            text=text,
            modem_time=sent.isoformat() if sent is not None else None,
            concat_ref=None if whole else concat.reference,
            concat_total=1 if whole else concat.parts,
            concat_seq=1 if whole else concat.number,
        )
    except Exception as exc:  # the codec raises many kinds of error on bad input
        return SmsPart(fingerprint=print_id, sender=None, text="", raw_pdu=pdu_hex.upper(),
                       decode_error=f"{type(exc).__name__}: {exc}")


def repair_surrogates(text: str) -> str:
    """Join UTF-16 surrogate pairs into real characters; replace any that stand alone."""
    if not any("\ud800" <= ch <= "\udfff" for ch in text):
        return text
    return text.encode("utf-16-le", "surrogatepass").decode("utf-16-le", "replace")


def encode_submit(number: str, text: str, reference: int = 0) -> list[SubmitPdu]:
    """SMS-SUBMIT PDUs for a message (several when it is long). No status report is asked:
    acknowledgements are cheap to re-send and reports would only fill the SIM."""
    pdus = gsmpdu.encodeSmsSubmitPdu(number, split_astral(text), reference=reference,
                                     requestStatusReport=False)
    return [SubmitPdu(str(p), p.tpduLength) for p in pdus]


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
