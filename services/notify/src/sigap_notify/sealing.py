"""What notify must be able to read but the database may only hold encrypted: department
webhook secrets (to sign with) and the addresses reporters subscribed directly (often the only
contact of a rahasia or anonim reporter). AES-256-GCM with a random nonce; the associated data
binds each ciphertext to its row (the webhook id; the subscription's tracking code and
channel), so a ciphertext copied onto another row does not open."""

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
    """A sealed value that does not open with this key for this row."""


def decode_key(encoded: str) -> bytes:
    """The setting's base64 text as a 256-bit key; ValueError when it is not one."""
    try:
        key = base64.b64decode(encoded, validate=True)
    except binascii.Error as exc:
        raise ValueError("the webhook secret key must be base64") from exc
    if len(key) != 32:
        raise ValueError(f"the webhook secret key must be 32 bytes (256 bits), got {len(key)}")
    return key


def _subscription(tracking_code: str, channel: str) -> bytes:
    return f"reporter-subscription:{tracking_code}:{channel}".encode()


class SecretBox:
    def __init__(self, key: bytes) -> None:
        self._aead = AESGCM(key)

    def seal(self, secret: str, *, webhook_id: UUID) -> bytes:
        return self._seal(secret, webhook_id.bytes)

    def open(self, sealed: bytes, *, webhook_id: UUID) -> str:
        return self._open(sealed, webhook_id.bytes)

    def seal_address(self, address: str, *, tracking_code: str, channel: str) -> bytes:
        """A reporter's subscribed address (an email address, or a push subscription's JSON)."""
        return self._seal(address, _subscription(tracking_code, channel))

    def open_address(self, sealed: bytes, *, tracking_code: str, channel: str) -> str:
        return self._open(sealed, _subscription(tracking_code, channel))

    def _seal(self, text: str, bound_to: bytes) -> bytes:
        nonce = os.urandom(_NONCE_BYTES)
        return _VERSION + nonce + self._aead.encrypt(nonce, text.encode(), bound_to)

    def _open(self, sealed: bytes, bound_to: bytes) -> str:
        if sealed[:1] != _VERSION:
            raise SecretUnreadable("unknown ciphertext version")
        nonce, ciphertext = sealed[1 : 1 + _NONCE_BYTES], sealed[1 + _NONCE_BYTES :]
        try:
            return self._aead.decrypt(nonce, ciphertext, bound_to).decode()
        except InvalidTag as exc:
            raise SecretUnreadable("sealed value does not open with this key for this row") from exc
