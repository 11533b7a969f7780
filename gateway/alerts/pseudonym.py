"""Pseudonyms for focal points: what leaves the base (logs, MQTT, satellite) instead of a number.

A keyed hash (HMAC-SHA256) with a per-base secret kept in the store: headquarters can tell that
two alerts came from the same sender without learning who, and nobody without the base's
secret can test a guessed number against a pseudonym.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets

PREFIX = "fp-"
DIGEST_CHARS = 10


def new_secret() -> str:
    return secrets.token_hex(32)


class Pseudonymiser:
    def __init__(self, secret: str):
        self._keyed = hmac.new(bytes.fromhex(secret), digestmod=hashlib.sha256)  # copied per use

    def __call__(self, identity: str | None) -> str | None:
        """The pseudonym of a phone number or callsign; None stays None."""
        if identity is None:
            return None
        return PREFIX + self.digest(identity).hex()[:DIGEST_CHARS]

    def digest(self, identity: str) -> bytes:
        """The whole keyed hash of an identity (the store's look-up keys use more of it)."""
        keyed = self._keyed.copy()
        keyed.update(identity.encode("utf-8"))
        return keyed.digest()
