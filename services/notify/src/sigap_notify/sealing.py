"""Webhook secrets at rest: notify must know each subscriber's HMAC secret to sign, but the
database only ever holds it encrypted. AES-256-GCM with a random nonce; the webhook id is the
associated data, so a ciphertext copied onto another webhook's row does not open."""

from __future__ import annotations

import base64
import binascii
import os
from uuid import UUID

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

_VERSION = b"\x01"  # a future key rotation gets a new version byte
_NONCE_BYTES = 12


class SecretUnreadable(Exception):
    """A sealed secret that does not open with this key for this webhook."""


def decode_key(encoded: str) -> bytes:
    """The setting's base64 text as a 256-bit key; ValueError when it is not one."""
    try:
        key = base64.b64decode(encoded, validate=True)
    except binascii.Error as exc:
        raise ValueError("the webhook secret key must be base64") from exc
    if len(key) != 32:
        raise ValueError(f"the webhook secret key must be 32 bytes (256 bits), got {len(key)}")
    return key


class SecretBox:
    def __init__(self, key: bytes) -> None:
        self._aead = AESGCM(key)

    def seal(self, secret: str, *, webhook_id: UUID) -> bytes:
        nonce = os.urandom(_NONCE_BYTES)
        return _VERSION + nonce + self._aead.encrypt(nonce, secret.encode(), webhook_id.bytes)

    def open(self, sealed: bytes, *, webhook_id: UUID) -> str:
        if sealed[:1] != _VERSION:
            raise SecretUnreadable("unknown ciphertext version")
        nonce, ciphertext = sealed[1 : 1 + _NONCE_BYTES], sealed[1 + _NONCE_BYTES :]
        try:
            return self._aead.decrypt(nonce, ciphertext, webhook_id.bytes).decode()
        except InvalidTag as exc:
            raise SecretUnreadable("webhook secret does not open with this key") from exc
