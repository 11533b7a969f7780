"""Identities sealed at rest: the data key, its file, and the sealing of one value.

A captured or abandoned gateway must not yield who its focal points are. Every phone number,
name, callsign and message text is written to the store sealed (AES-GCM, a fresh random nonce
per value) under a data key kept in its own file, owner-only, outside the database: the SQLite
file, its WAL and any copy of it hold no identity in clear, and destroying the key file (the
emergency wipe) makes everything stored unreadable at once.

Look-ups by number or callsign cannot use sealed values (each sealing of the same number
differs); they go through a keyed hash of the identity beside it (`identity_key`), made with
the pseudonym machinery under a second key derived from the data key, so that it too means
nothing once the key is gone.

The store modules take a sqlite-utils `Database`; the Sealer of the store that opened it is
found with `sealer_of(db)`, so that their signatures (and their callers) stay as they were.
"""

from __future__ import annotations

import os
import secrets
import stat
import weakref
from pathlib import Path

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.kdf.hkdf import HKDF
from sqlite_utils import Database

from gateway.alerts.pseudonym import Pseudonymiser
from gateway.errors import StoreError

KEY_BYTES = 32
NONCE_BYTES = 12
FORMAT = b"\x01"  # the first byte of every sealed value: this layout, AES-256-GCM
IDENTITY_KEY_BYTES = 16  # 128 bits: no two identities of a base share a look-up key
KEY_CHECK = "cangw data key"  # sealed in `meta`: tells the right key file from a wrong one


class Sealer:
    """Seals and opens values, and makes look-up keys for identities, under one data key."""

    def __init__(self, key: bytes):
        if len(key) != KEY_BYTES:
            raise StoreError(f"a data key is {KEY_BYTES} bytes, not {len(key)}")
        self._aead: AESGCM | None = AESGCM(_derive(key, b"cangw sealed values v1"))
        self._identities: Pseudonymiser | None = Pseudonymiser(
            _derive(key, b"cangw identity keys v1").hex())

    def seal(self, text: str | None) -> bytes | None:
        """`text` sealed (None stays None: an absent sender is not a secret)."""
        if text is None:
            return None
        nonce = os.urandom(NONCE_BYTES)
        return FORMAT + nonce + self._cipher().encrypt(nonce, text.encode("utf-8"), None)

    def unseal(self, value: bytes | str | None) -> str | None:
        """A sealed value opened. Text is a value written before the store was sealed and not
        yet converted (the conversion finishes before anything reads, see seal_rows)."""
        if value is None or isinstance(value, str):
            return value
        if value[:1] != FORMAT or len(value) < 1 + NONCE_BYTES + 16:
            raise StoreError("a sealed value is damaged (unknown format)")
        nonce, body = value[1:1 + NONCE_BYTES], value[1 + NONCE_BYTES:]
        try:
            return self._cipher().decrypt(nonce, body, None).decode("utf-8")
        except InvalidTag:
            raise StoreError("a sealed value does not open with this data key") from None

    def identity_key(self, identity: str | None) -> bytes | None:
        """The look-up key of a phone number or callsign: equal for equal identities, useless
        without the data key."""
        if identity is None:
            return None
        if self._identities is None:
            raise StoreError("the data key was destroyed (emergency wipe)")
        return self._identities.digest(identity)[:IDENTITY_KEY_BYTES]

    def forget(self) -> None:
        """Drop the keys from this object (the wipe): nothing more is sealed or opened by it."""
        self._aead = None
        self._identities = None

    def _cipher(self) -> AESGCM:
        if self._aead is None:
            raise StoreError("the data key was destroyed (emergency wipe)")
        return self._aead


def _derive(key: bytes, purpose: bytes) -> bytes:
    """A key for one purpose: the values' cipher and the identities' hash never share a key."""
    return HKDF(algorithm=hashes.SHA256(), length=KEY_BYTES, salt=None, info=purpose).derive(key)


# -- which Sealer serves which connection --------------------------------------------------------
_SEALERS: weakref.WeakKeyDictionary[Database, Sealer] = weakref.WeakKeyDictionary()


def bind(db: Database, sealer: Sealer) -> None:
    """`sealer` serves `db`; its SQL may open a sealed value with `unseal(column)` too."""
    _SEALERS[db] = sealer
    db.conn.create_function("unseal", 1, sealer.unseal)


def sealer_of(db: Database) -> Sealer:
    """The Sealer of the store that opened `db`."""
    sealer = _SEALERS.get(db)
    if sealer is None:
        raise StoreError("this store was opened without its data key")
    return sealer


def forget_all() -> None:
    """Every Sealer of this process forgets its keys (the wipe, before anything else)."""
    for sealer in list(_SEALERS.values()):
        sealer.forget()


# -- the key file ------------------------------------------------------------------------------
def default_key_file(store_path: Path) -> Path:
    """Where the key lives unless `[store] key_file` says otherwise: beside the store."""
    return store_path.with_suffix(".key")


def read_key(path: Path) -> bytes:
    """The data key in `path`; a file others may read is made owner-only again."""
    try:
        mode = path.stat().st_mode
        if mode & (stat.S_IRWXG | stat.S_IRWXO):
            os.chmod(path, 0o600)
        key = path.read_bytes()
    except OSError as exc:
        raise StoreError(f"{path}: cannot read the data key: {exc}") from None
    if len(key) != KEY_BYTES:
        raise StoreError(f"{path}: not a data key ({len(key)} bytes, expected {KEY_BYTES})")
    return key


def create_key(path: Path) -> bytes:
    """A new random data key written to `path` (owner-only, synced, never over another key)."""
    key = secrets.token_bytes(KEY_BYTES)
    if not path.parent.is_dir():  # a key meant for a medium of its own must not land elsewhere
        raise StoreError(f"{path.parent} does not exist: cannot create the data key there "
                         "(is its medium mounted?)")
    try:
        handle = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:
        return read_key(path)  # another process made it a moment ago
    except OSError as exc:
        raise StoreError(f"{path}: cannot create the data key: {exc}") from None
    try:
        os.write(handle, key)
        os.fsync(handle)
    finally:
        os.close(handle)
    sync_folder(path.parent)
    return key


def destroy_key(path: Path) -> bool:
    """Overwrite the key file in place, sync it, then unlink it: from the moment this returns
    nothing sealed with it can be read. False when there was no key file."""
    try:
        handle = os.open(path, os.O_WRONLY)
    except FileNotFoundError:
        return False
    try:
        size = max(os.fstat(handle).st_size, KEY_BYTES)
        os.write(handle, os.urandom(size))
        os.fsync(handle)
        os.lseek(handle, 0, os.SEEK_SET)
        os.write(handle, bytes(size))
        os.fsync(handle)
    finally:
        os.close(handle)
    path.unlink(missing_ok=True)
    sync_folder(path.parent)
    return True


def sync_folder(folder: Path) -> None:
    """Make a file's creation or removal in `folder` durable."""
    handle = os.open(folder, os.O_RDONLY)
    try:
        os.fsync(handle)
    finally:
        os.close(handle)
