"""The one-time flash cookie (sealed, bound to the staff session, short-lived) and the
README's screenshot list (every screenshot a browser test writes is shown there)."""

from __future__ import annotations

import re
import time
from pathlib import Path

from sigap_web.flash import FLASH_MAX_AGE_S, Flash, FlashSealer
from sigap_web.session import SessionSealer

ROOT = Path(__file__).resolve().parents[3]
SECRET = b"x" * 32


def test_a_flash_opens_only_for_the_session_it_was_made_in() -> None:
    sealer = FlashSealer(SECRET)
    flash = Flash(text="Pengaduan sudah diverifikasi.", data={"identity": {"name": "Budi"}}, sid="login-1")
    sealed = sealer.seal(flash)
    assert "Budi" not in sealed and "diverifikasi" not in sealed  # encrypted, not just signed
    assert sealer.open(sealed, sid="login-1") == flash
    assert sealer.open(sealed, sid="login-2") is None
    assert sealer.open(sealed[:-4] + "AAAA", sid="login-1") is None
    assert sealer.open("", sid="login-1") is None
    assert FlashSealer(b"y" * 32).open(sealed, sid="login-1") is None


def test_a_flash_expires_and_is_no_session_cookie() -> None:
    sealer = FlashSealer(SECRET)
    sealed = sealer.seal(Flash(text="lama", sid=""))
    assert sealer.open(sealed, sid="") is not None
    # The token's own timestamp decides: one made longer ago than the lifetime does not open.
    token_time = int(time.time()) - FLASH_MAX_AGE_S - 5
    stale = sealer._fernet.encrypt_at_time(b'{"text":"lama","kind":"notice","data":{},"sid":""}', token_time)
    assert sealer.open(stale.decode(), sid="") is None
    # Sealed for another purpose: a flash never opens as a session, nor the other way round.
    assert SessionSealer(SECRET, max_age_s=3600).open(sealed) is None


def test_the_readme_shows_every_screenshot_the_browser_tests_write() -> None:
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    written = set()
    for test in (ROOT / "tests" / "e2e").glob("test_*.py"):
        written |= set(re.findall(r'screenshot\(\s*\w+,\s*"([a-z0-9-]+)"', test.read_text(encoding="utf-8")))
    assert written, "no browser test writes a screenshot"
    shown = set(re.findall(r"!\[[^\]]*\]\(docs/screenshots/([a-z0-9-]+)\.png\)", readme))
    assert written - shown == set(), f"screenshots missing from the README: {sorted(written - shown)}"
