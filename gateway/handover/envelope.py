"""The bundle's file: a container sealed under a passphrase, in a layout other tools can open.

The bundle carries every focal point's number and name to another organisation, by hand or by
e-mail, so it is encrypted whole: the passphrase is stretched with scrypt (memory-hard: a
guessing rig pays 128 MiB per guess) into an AES-256-GCM key, and the header is authenticated
with the contents, so a changed byte anywhere is found. Nothing but the header is clear.

    offset  size  field
         0     8  magic, ASCII "CANGWHO1"
         8     1  format version: 1
         9     1  scrypt cost: log2(N)
        10     1  scrypt r
        11     1  scrypt p
        12    16  scrypt salt
        28    16  passphrase check: bytes 32-47 of the scrypt output
        44    12  AES-GCM nonce
        56     -  AES-256-GCM ciphertext of the container, then its 16-byte tag

scrypt(passphrase as UTF-8 after Unicode NFC normalisation, salt, N, r, p, 48 bytes): bytes 0-31
are the AES key, bytes 32-47 the check (a wrong passphrase is told apart from a damaged file);
the associated data is the 56-byte header.
"""

from __future__ import annotations

import hashlib
import hmac
import os
import struct
import unicodedata
from dataclasses import dataclass

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

from gateway.errors import GatewayError

MAGIC = b"CANGWHO1"
VERSION = 1
HEADER = struct.Struct(">8sBBBB16s16s12s")
SALT_BYTES, CHECK_BYTES, NONCE_BYTES, TAG_BYTES = 16, 16, 12, 16
KEY_BYTES = 32
# a header asking scrypt for more memory or work (8 times the default) is refused, not obeyed
MAX_MEMORY, MAX_WORK = 1 << 30, 1 << 23
MIN_PASSPHRASE = 12  # characters


class BundleError(GatewayError, ValueError):
    """A bundle that cannot be opened or read: one line that says why."""


@dataclass(frozen=True)
class Kdf:
    """scrypt's cost. The default takes 128 MiB and under a second on a laptop's core;
    a Raspberry Pi 4 takes a few seconds (bench/handover_kdf.py measures it)."""

    log_n: int = 17
    r: int = 8
    p: int = 1

    @property
    def memory(self) -> int:
        """Bytes scrypt works in (128 * r * N, plus its p blocks)."""
        return 128 * self.r * ((1 << self.log_n) + self.p + 2)

    def derive(self, passphrase: str, salt: bytes) -> tuple[bytes, bytes]:
        """(AES key, passphrase check)."""
        secret = unicodedata.normalize("NFC", passphrase).encode("utf-8")
        derived = hashlib.scrypt(secret, salt=salt, n=1 << self.log_n, r=self.r, p=self.p,
                                 maxmem=self.memory + (1 << 20),
                                 dklen=KEY_BYTES + CHECK_BYTES)
        return derived[:KEY_BYTES], derived[KEY_BYTES:]


DEFAULT_KDF = Kdf()


def seal(container: bytes, passphrase: str, kdf: Kdf = DEFAULT_KDF) -> bytes:
    """The bundle file's bytes."""
    if len(passphrase) < MIN_PASSPHRASE:
        raise BundleError(f"the passphrase is too short: {MIN_PASSPHRASE} characters at least "
                          "(a few words are easier to pass on than symbols)")
    salt, nonce = os.urandom(SALT_BYTES), os.urandom(NONCE_BYTES)
    key, check = kdf.derive(passphrase, salt)
    header = HEADER.pack(MAGIC, VERSION, kdf.log_n, kdf.r, kdf.p, salt, check, nonce)
    return header + AESGCM(key).encrypt(nonce, container, header)


def open_sealed(data: bytes, passphrase: str) -> bytes:
    """The container in a bundle file's bytes; BundleError when the file is not a bundle, the
    passphrase is not its own, or a byte of it changed."""
    if len(data) < HEADER.size + TAG_BYTES or not data.startswith(MAGIC):
        raise BundleError("not a cangw hand-over bundle (or its beginning is damaged or cut)")
    _, version, log_n, r, p, salt, check, nonce = HEADER.unpack_from(data)
    if version != VERSION:
        raise BundleError(f"a hand-over bundle of format {version}; this cangw reads format "
                          f"{VERSION} (use a newer cangw)")
    kdf = Kdf(log_n, r, p)
    if not (1 <= log_n <= 30 and r >= 1 and p >= 1) or kdf.memory > MAX_MEMORY or (
            (1 << log_n) * r * p > MAX_WORK):
        raise BundleError("the bundle's header is damaged (its key parameters are impossible)")
    key, expected = kdf.derive(passphrase, salt)
    if not hmac.compare_digest(check, expected):
        raise BundleError("wrong passphrase (or the bundle's header is damaged)")
    header = data[:HEADER.size]
    try:
        return AESGCM(key).decrypt(nonce, data[HEADER.size:], header)
    except InvalidTag:
        raise BundleError("the bundle is damaged or cut short: its contents fail their "
                          "authentication check") from None
