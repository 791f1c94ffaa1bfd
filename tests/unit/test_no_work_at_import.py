"""Importing a service module does no work: the slow or stateful set-up (an argon2 hash, a
colour profile) happens on first use, so tests and tools that only import stay fast."""

from __future__ import annotations

import subprocess
import sys
import textwrap


def test_importing_accounts_and_photo_checks_hashes_and_builds_nothing() -> None:
    probe = textwrap.dedent(
        """
        import argon2
        from PIL import ImageCms

        def refuse(*args, **kwargs):
            raise SystemExit("work at import time")

        argon2.PasswordHasher.hash = refuse
        ImageCms.createProfile = refuse

        import sigap_intake.photos.checks
        import sigap_status.auth.rules
        """
    )
    result = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, timeout=60)
    assert result.returncode == 0, result.stderr or result.stdout
