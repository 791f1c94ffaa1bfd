"""Code blocks a document marks as tested: a fenced block right after an `<!-- tested -->`
line. Tests run them as written, so an edit that breaks a documented command fails the build."""

from __future__ import annotations

import re
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
_TESTED = re.compile(r"^<!-- tested -->\n```(?P<language>[a-z]*)\n(?P<code>.*?)^```$", re.MULTILINE | re.DOTALL)


def marked_blocks(document: Path, language: str = "sh") -> list[str]:
    """The tested blocks of `document` in `language`, in order."""
    return [m["code"] for m in _TESTED.finditer(document.read_text(encoding="utf-8")) if m["language"] == language]
