"""Encryption at rest for what intake must keep but nobody may read in the database: reporter
identities and stored retry responses. AES-256-GCM with a random nonce; the associated data
binds each ciphertext to its row, so a ciphertext copied onto another row does not decrypt."""

from __future__ import annotations

import os

import orjson
from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

_VERSION = b"\x01"  # leaves room for key rotation: a new key gets a new version byte
_NONCE_BYTES = 12


class SealError(Exception):
    """A ciphertext that does not open with this key and this associated data."""


class Sealer:
    def __init__(self, key: bytes) -> None:
        self._aead = AESGCM(key)

    def seal(self, value: object, *, bound_to: bytes) -> bytes:
        nonce = os.urandom(_NONCE_BYTES)
        return _VERSION + nonce + self._aead.encrypt(nonce, orjson.dumps(value), bound_to)

    def open(self, sealed: bytes, *, bound_to: bytes) -> object:
        if sealed[:1] != _VERSION:
            raise SealError("unknown ciphertext version")
        nonce, ciphertext = sealed[1 : 1 + _NONCE_BYTES], sealed[1 + _NONCE_BYTES :]
        try:
            return orjson.loads(self._aead.decrypt(nonce, ciphertext, bound_to))
        except InvalidTag as exc:
            raise SealError("ciphertext does not open with this key") from exc
