"""What people write as a reason or a message must be text a reader can see: its length is
counted without whitespace, zero-width and other format characters, combining marks on their
own, and the "blank" letters (Hangul fillers, the empty Braille pattern) that render as
nothing. Five zero-width spaces are not a reason. Pure; used by every service's API."""

from __future__ import annotations

import unicodedata
from typing import Annotated, Any

from pydantic import AfterValidator, StringConstraints
from pydantic_core import PydanticCustomError

# Control, format (ZWSP, ZWJ, bidi marks, soft hyphen...), surrogate, private-use and
# unassigned code points; space, line and paragraph separators; combining marks.
_INVISIBLE_CATEGORIES = frozenset({"Cc", "Cf", "Cs", "Co", "Cn", "Zs", "Zl", "Zp", "Mn", "Me"})
# Letters and symbols that have a category of their own but draw nothing.
_BLANK_CHARACTERS = frozenset("\u115f\u1160\u3164\uffa0\u2800")


def is_visible(character: str) -> bool:
    return character not in _BLANK_CHARACTERS and unicodedata.category(character) not in _INVISIBLE_CATEGORIES


def visible_length(text: str) -> int:
    """How many characters of `text` a reader sees."""
    return sum(1 for character in text if is_visible(character))


def trim_invisible(text: str) -> str:
    """`text` without invisible characters at either end (inside it they stay: a zero-width
    joiner belongs to the emoji it joins)."""
    start, end = 0, len(text)
    while start < end and not is_visible(text[start]):
        start += 1
    while end > start and not is_visible(text[end - 1]):
        end -= 1
    return text[start:end]


def visible_or_none(text: str | None) -> str | None:
    """The trimmed text, or None when nothing of it is visible."""
    if text is None:
        return None
    trimmed = trim_invisible(text)
    return trimmed or None


def _at_least(min_length: int) -> Any:
    def check(text: str) -> str:
        trimmed = trim_invisible(text)
        if visible_length(trimmed) < min_length:
            raise PydanticCustomError(
                "text_not_visible",
                "should have at least {min_length} visible characters",
                {"min_length": min_length},
            )
        return trimmed

    return check


def VisibleText(*, min_length: int = 1, max_length: int) -> Any:  # noqa: N802 - used like a type
    """A pydantic/FastAPI string type: at most `max_length` characters in all, at least
    `min_length` of them visible; stored without invisible characters at either end.
    Refusals are `text_not_visible` (see `sigap_shared.problems`)."""
    return Annotated[str, StringConstraints(max_length=max_length), AfterValidator(_at_least(min_length))]
