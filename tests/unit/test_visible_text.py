"""A reason or message is text a reader can see: zero-width, format and blank characters do
not count towards its length, and the stored text has none at either end."""

from __future__ import annotations

import pytest
from pydantic import BaseModel, ValidationError

from sigap_shared.visible_text import VisibleText, trim_invisible, visible_length, visible_or_none

ZWSP = "\u200b"


@pytest.mark.parametrize(
    ("text", "visible"),
    [
        ("Jalan rusak", 10),
        (ZWSP * 5, 0),
        ("\u200c\u200d\u2060\ufeff\u00ad", 0),  # ZWNJ, ZWJ, word joiner, BOM, soft hyphen
        ("\u202e\u202d\u2066", 0),  # bidi overrides and isolates
        ("\u3164\u115f\u2800", 0),  # Hangul fillers, blank Braille pattern
        ("\u00a0\u2003\u3000\t\n", 0),  # no-break, em and ideographic spaces, tab, newline
        ("\u0301\u0301", 0),  # combining marks on their own
        ("e\u0301", 1),
        ("ok" + ZWSP * 3, 2),
    ],
)
def test_visible_length(text, visible):
    assert visible_length(text) == visible


def test_trimming_keeps_what_is_inside():
    assert trim_invisible(ZWSP + " Lampu\u200dmati \u3164") == "Lampu\u200dmati"
    assert visible_or_none(ZWSP * 5) is None
    assert visible_or_none(None) is None
    assert visible_or_none("  alasan  ") == "alasan"


class Reason(BaseModel):
    reason: VisibleText(min_length=5, max_length=20)


def test_the_pydantic_type_counts_visible_characters_and_trims():
    with pytest.raises(ValidationError) as refused:
        Reason(reason=ZWSP * 5)
    assert refused.value.errors()[0]["type"] == "text_not_visible"
    with pytest.raises(ValidationError):
        Reason(reason="ab" + ZWSP * 10)
    with pytest.raises(ValidationError):
        Reason(reason="x" * 21)
    assert Reason(reason=f"{ZWSP} Butuh data \u00a0").reason == "Butuh data"
