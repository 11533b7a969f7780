"""Every form a phone number or a name takes in bytes, and a scan of files or raw images for them.

The proofs that nothing identifying is left (sealed at rest, the emergency wipe) look for each
number as typed (E.164, national, spaced), as a GSM address in BCD semi-octets (raw, and as
the hex a PDU is stored in), and for each name in UTF-8, UCS-2 and GSM-7 packed at every bit
alignment a septet can start on. `check_forms` shows on a real PDU that the forms are right,
so that a scan finding nothing means something.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from pathlib import Path

from gsmmodem.pdu import encodeGsm7

from gateway.sim.deliver_pdu import build_deliver_pdus


def semi_octets(digits: str) -> bytes:
    """A GSM address's digits as TS 23.040 writes them: two per byte, low nibble first."""
    padded = digits + ("F" if len(digits) % 2 else "")
    return bytes.fromhex("".join(padded[i + 1] + padded[i] for i in range(0, len(padded), 2)))


def number_forms(e164: str, country_code: str = "+243") -> dict[bytes, str]:
    """Byte patterns of a phone number, each with what it is."""
    digits, prefix = e164.lstrip("+"), country_code.lstrip("+")
    national = "0" + digits[len(prefix):]
    typed = {e164, digits, national, f"{national[:4]} {national[4:7]} {national[7:]}",
             f"+{prefix} {national[1:3]} {national[3:6]} {national[6:]}",
             f"{national[:4]}.{national[4:7]}.{national[7:]}"}
    forms: dict[bytes, str] = {}
    for text in typed:
        forms[text.encode()] = f"{text!r} UTF-8"
        forms[text.encode("utf-16-be")] = f"{text!r} UCS-2"
    for address in (digits, national):
        bcd = semi_octets(address)
        forms[bcd] = f"{address} BCD semi-octets"
        forms[bcd.hex().encode()] = forms[bcd.hex().upper().encode()] = f"{address} BCD as hex"
    return forms


def gsm7_packed(text: str) -> list[bytes]:
    """`text` packed as GSM-7 septets starting at each bit offset 0-7 (where it falls inside a
    longer message): the bytes made of its own bits only."""
    septets = bytes(encodeGsm7(text))
    slices = []
    for offset in range(8):
        bits = sum(septet << (offset + 7 * index) for index, septet in enumerate(septets))
        total = offset + 7 * len(septets)
        data = bits.to_bytes((total + 7) // 8, "little")
        slices.append(data[1 if offset else 0:total // 8])
    return slices


def name_forms(name: str) -> dict[bytes, str]:
    """Byte patterns of a name, each with what it is."""
    forms: dict[bytes, str] = {}
    for variant in {name, name.upper(), name.lower()}:
        forms[variant.encode()] = f"{variant!r} UTF-8"
        forms[variant.encode("utf-16-be")] = f"{variant!r} UCS-2"
        forms[variant.encode("utf-16-le")] = f"{variant!r} UTF-16-LE"
        for packed in gsm7_packed(variant):
            forms[packed] = f"{variant!r} GSM-7 packed"
            forms[packed.hex().encode()] = forms[packed.hex().upper().encode()] = \
                f"{variant!r} GSM-7 packed, as hex"
    return forms


def all_forms(numbers: Iterable[str], names: Iterable[str]) -> dict[bytes, str]:
    forms: dict[bytes, str] = {}
    for number in numbers:
        forms |= number_forms(number)
    for name in names:
        forms |= name_forms(name)
    return forms


ZERO_RUN = re.compile(rb"\x00{16,}")


def found_in(data: bytes, forms: dict[bytes, str]) -> list[str]:
    """The labels of the forms in `data`. Long runs of zero bytes (most of a raw image) are
    shortened first: no form holds more than a few zeros in a row, and a UCS-2 form's every
    other zero would make each of them a place to try."""
    data = ZERO_RUN.sub(b"\x00" * 8, data)
    return sorted({label for form, label in forms.items() if form in data})


def scan_folder(folder: Path, forms: dict[bytes, str]) -> dict[str, list[str]]:
    """Every file below `folder` (the store, its WAL and -shm, backups, logs) against `forms`:
    what was found, by file. Empty when nothing is."""
    hits = {}
    for path in sorted(p for p in folder.rglob("*") if p.is_file()):
        found = found_in(path.read_bytes(), forms)
        if found:
            hits[str(path.relative_to(folder))] = found
    return hits


def check_forms(number: str, name: str) -> None:
    """The forms are the ones a real SMS carries: a PDU from `number` with `name` in its text
    shows the number's semi-octets and the name packed in GSM-7; the same text in UCS-2 shows
    the name's UCS-2 form."""
    gsm7 = bytes.fromhex(build_deliver_pdus(number, f"2 Kamango {name} a vu")[0].hex)
    ucs2 = bytes.fromhex(build_deliver_pdus(number, f"2 {name} ok", encoding="ucs2")[0].hex)
    assert any("BCD semi-octets" in label for label in found_in(gsm7, number_forms(number)))
    assert any("GSM-7 packed" in label for label in found_in(gsm7, name_forms(name)))
    assert any("UCS-2" in label for label in found_in(ucs2, name_forms(name)))
