"""Pure rules of setup codes: what one looks like, how it is stored (its SHA-256 only) and
how long it lasts. No I/O."""

from __future__ import annotations

import hashlib
import secrets
from datetime import timedelta

# No 0/O, 1/I/L or U: a code read aloud or copied by hand stays unambiguous.
ALPHABET = "ABCDEFGHJKMNPQRSTVWXYZ23456789"
GROUPS, GROUP_LENGTH = 4, 4  # 16 characters of 30: about 78 bits, far beyond guessing online
SETUP_CODE_TTL = timedelta(hours=72)


def new_setup_code() -> str:
    characters = "".join(secrets.choice(ALPHABET) for _ in range(GROUPS * GROUP_LENGTH))
    return "-".join(characters[i : i + GROUP_LENGTH] for i in range(0, len(characters), GROUP_LENGTH))


def normalise_setup_code(code: str) -> str:
    """What a person typed, as it was issued: case, spaces and dashes do not matter."""
    return "".join(ch for ch in code.upper() if ch not in " -\t")


def setup_code_digest(code: str) -> bytes:
    # ~78 random bits need no slow hash; SHA-256 keeps look-ups by digest exact.
    return hashlib.sha256(normalise_setup_code(code).encode()).digest()
