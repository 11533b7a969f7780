"""The console's users: a name, a role, a language, and a memory-hard password hash.

scrypt (hashlib, no extra dependency) with n=2^14, r=8, p=1 takes about 16 MB and a few tens
of milliseconds per attempt: cheap for one login, dear for a guesser. The hash records its own
parameters, so they can be raised later without breaking stored passwords.
"""

from __future__ import annotations

import base64
import functools
import hashlib
import hmac
import re
import secrets
import time
from dataclasses import dataclass

from sqlite_utils import Database

from gateway.store import Store

# a partner is another organisation's reader of the CAP feed (the base's or headquarters'), and
# of nothing else
ROLES = ("officer", "technician", "admin", "partner")
LANGUAGES = ("fr", "en")
MIN_PASSWORD = 10
SCRYPT_N, SCRYPT_R, SCRYPT_P = 2 ** 14, 8, 1
NAME = re.compile(r"[a-z][a-z0-9._-]{1,31}")


@dataclass(frozen=True)
class User:
    id: int
    name: str
    role: str
    language: str
    changed_at: float


def hash_password(password: str) -> str:
    salt = secrets.token_bytes(16)
    digest = hashlib.scrypt(password.encode(), salt=salt, n=SCRYPT_N, r=SCRYPT_R, p=SCRYPT_P,
                            maxmem=64 * 1024 * 1024)
    encode = base64.b64encode
    return f"scrypt${SCRYPT_N}${SCRYPT_R}${SCRYPT_P}${encode(salt).decode()}${encode(digest).decode()}"


def password_matches(password: str, stored: str) -> bool:
    try:
        kind, n, r, p, salt, digest = stored.split("$")
        expected = base64.b64decode(digest)
        actual = hashlib.scrypt(password.encode(), salt=base64.b64decode(salt), n=int(n),
                                r=int(r), p=int(p), maxmem=64 * 1024 * 1024, dklen=len(expected))
    except ValueError:
        return False
    return kind == "scrypt" and hmac.compare_digest(actual, expected)


def check_password(password: str) -> None:
    """ValueError unless the password is long enough to resist guessing at the console."""
    if len(password) < MIN_PASSWORD:
        raise ValueError(f"the password needs at least {MIN_PASSWORD} characters")


def add_user(store: Store, name: str, role: str, password: str, language: str = "fr") -> User:
    """Create a user with one of ROLES; ValueError names what is wrong (name taken, role,
    language, password)."""
    if not NAME.fullmatch(name):
        raise ValueError("a user name is 2 to 32 lower-case letters, digits, '.', '_' or '-', "
                         "starting with a letter")
    if role not in ROLES:
        raise ValueError(f"the role must be one of {', '.join(ROLES)}")
    if language not in LANGUAGES:
        raise ValueError(f"the language must be one of {', '.join(LANGUAGES)}")
    check_password(password)
    now = time.time()
    with store.transaction() as db:
        if find(db, name) is not None:
            raise ValueError(f"there is already a user {name}")
        db.execute("INSERT INTO console_users (name, role, language, password, created_at,"
                   " changed_at) VALUES (?, ?, ?, ?, ?, ?)",
                   [name, role, language, hash_password(password), now, now])
    user = find(store.db, name)
    assert user is not None
    return user


def set_password(store: Store, name: str, password: str) -> None:
    """A new password; sessions opened before it end (the console compares `changed_at`)."""
    check_password(password)
    with store.transaction() as db:
        if not db.execute("UPDATE console_users SET password = ?, changed_at = ? WHERE name = ?",
                          [hash_password(password), time.time(), name]).rowcount:
            raise ValueError(f"no user {name}")


def set_language(store: Store, user_id: int, language: str) -> None:
    if language not in LANGUAGES:
        raise ValueError(f"the language must be one of {', '.join(LANGUAGES)}")
    with store.transaction() as db:
        db.execute("UPDATE console_users SET language = ? WHERE id = ?", [language, user_id])


def remove_user(store: Store, name: str) -> bool:
    with store.transaction() as db:
        return db.execute("DELETE FROM console_users WHERE name = ?", [name]).rowcount > 0


def users(db: Database) -> list[User]:
    return [User(*row) for row in db.execute(
        "SELECT id, name, role, language, changed_at FROM console_users ORDER BY name")]


def find(db: Database, name: str) -> User | None:
    row = db.execute("SELECT id, name, role, language, changed_at FROM console_users"
                     " WHERE name = ?", [name]).fetchone()
    return User(*row) if row else None


def by_id(db: Database, user_id: int) -> User | None:
    row = db.execute("SELECT id, name, role, language, changed_at FROM console_users"
                     " WHERE id = ?", [user_id]).fetchone()
    return User(*row) if row else None


def password_hash(db: Database, name: str) -> str | None:
    """The stored hash of a user's password (None for an unknown name: check the password
    against `dummy_hash()` then, so a wrong name costs as long as a wrong password)."""
    row = db.execute("SELECT password FROM console_users WHERE name = ?", [name]).fetchone()
    return row[0] if row else None


@functools.cache
def dummy_hash() -> str:
    """What an unknown name's password is checked against."""
    return hash_password(secrets.token_hex(8))
