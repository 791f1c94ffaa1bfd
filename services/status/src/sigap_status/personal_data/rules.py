"""Which texts a reporter's erasure blanks at status (UU 27/2022): pure, no I/O. The SQL that
applies the same rule to the timeline is in `repository`."""

from __future__ import annotations

from typing import Any

from sigap_shared import erasure

# The free texts of timeline details and of status's events (`sigap_shared.erasure`'s, as every
# service blanks): what the reporter wrote (added information, a rating's comment, a reopen's
# reason) and what staff wrote (a message to the reporter, a status change's note, reason or
# resolution note, an internal note, a transfer's, a LAPOR! postponement's or an identity
# look-up's reason). Any of them may name or quote the reporter. Sorted for the SQL.
FREE_TEXT_KEYS = tuple(sorted(erasure.FREE_TEXT_FIELDS))
# A reason that is a code from a fixed list names no one: a rejection's, the auto-close's.
KEPT_CODES = tuple(sorted(erasure.KEPT_CODES))
# An event's text its schema requires (a message to the reporter's body): erased to empty.
_REQUIRED_TEXTS = frozenset({"body"})


def without_free_text(data: dict[str, Any]) -> dict[str, Any]:
    """An event's data (or a timeline detail) as the erasure leaves it: its free texts set to
    null (empty where required), everything else (kind, status, department, photos, times,
    codes) kept."""
    return erasure.without_free_text(data, emptied_to=None, required=_REQUIRED_TEXTS)
