"""What PostgreSQL can store, checked before it is asked to: text without NUL (U+0000, which
`text` refuses) or lone surrogates (U+D800–U+DFFF, which UTF-8 cannot encode), and moments in
a range both PostgreSQL and a sane client use. Pure: no I/O, no framework.

Text a client types is refused (`sigap_shared.http_limits` answers 422); text the server
extracts itself, such as photo metadata, is cleaned with `clean_text`."""

from __future__ import annotations

import re
from collections.abc import Iterator
from datetime import UTC, date, datetime
from typing import Annotated, Any

from pydantic import AfterValidator
from pydantic_core import PydanticCustomError

_UNSTORABLE = re.compile("[\x00\ud800-\udfff]")

# Moments a client may ask about: from the Unix epoch to the year 2200. Anything outside is a
# typo or a probe, and near year 1 or 9999 a time zone offset pushes a moment out of what
# Python (and so the database driver) can represent at all.
SANE_EARLIEST = datetime(1970, 1, 1, tzinfo=UTC)
SANE_LATEST = datetime(2200, 1, 1, tzinfo=UTC)

# Numbers a client sends for PostgreSQL's integer and bigint columns must fit them.
INTEGER_MAX = 2**31 - 1
BIGINT_MAX = 2**63 - 1


def first_unstorable(text: str) -> str | None:
    """The first character PostgreSQL text cannot hold, or None."""
    found = _UNSTORABLE.search(text)
    return found.group() if found else None


def clean_text(text: str) -> str:
    """Text the server extracted (not typed by a client): NUL removed, lone surrogates
    replaced by U+FFFD."""
    if first_unstorable(text) is None:
        return text
    return _UNSTORABLE.sub(lambda found: "" if found.group() == "\x00" else "\ufffd", text)


def unstorable_fields(value: Any, path: tuple[str | int, ...] = ()) -> Iterator[tuple[tuple[str | int, ...], str]]:
    """(path, character) for every string in a decoded JSON or form value, keys included,
    that PostgreSQL cannot store."""
    if isinstance(value, str):
        character = first_unstorable(value)
        if character is not None:
            yield path, character
    elif isinstance(value, dict):
        for key, item in value.items():
            if isinstance(key, str) and (character := first_unstorable(key)) is not None:
                yield (*path, key), character
            yield from unstorable_fields(item, (*path, key))
    elif isinstance(value, list | tuple):
        for index, item in enumerate(value):
            yield from unstorable_fields(item, (*path, index))


def code_point(character: str) -> str:
    return f"U+{ord(character):04X}"


def refuse_unstorable(value: Any) -> Any:
    """For pydantic validators: `value` unchanged, or a ValueError naming the field's first
    character PostgreSQL cannot store."""
    for _, character in unstorable_fields(value):
        raise ValueError(f"contains {code_point(character)}, which cannot be stored")
    return value


def in_utc(moment: datetime) -> datetime | None:
    """The moment in UTC, or None when it has none (an offset pushes it past year 1 or 9999)."""
    try:
        return moment.astimezone(UTC)
    except (OverflowError, ValueError):
        return None


def within(moment: datetime, *, earliest: datetime, latest: datetime) -> bool:
    """Whether an aware moment lies in [earliest, latest] and can be stored."""
    utc = in_utc(moment)
    return utc is not None and earliest <= utc <= latest


def _sane_date(day: date) -> date:
    if not SANE_EARLIEST.date() <= day < SANE_LATEST.date():
        raise PydanticCustomError(
            "date_out_of_range",
            "must be between {earliest} and {latest}",
            {"earliest": SANE_EARLIEST.date().isoformat(), "latest": SANE_LATEST.date().isoformat()},
        )
    return day


# A date a client sends (a query's since/until): refused with 422 outside 1970-01-01..2200-01-01.
SaneDate = Annotated[date, AfterValidator(_sane_date)]


def _sane_moment(moment: datetime) -> datetime:
    aware = moment if moment.tzinfo is not None else moment.replace(tzinfo=UTC)
    if not within(aware, earliest=SANE_EARLIEST, latest=SANE_LATEST):
        raise PydanticCustomError(
            "datetime_out_of_range",
            "must be between {earliest} and {latest}",
            {"earliest": SANE_EARLIEST.isoformat(), "latest": SANE_LATEST.isoformat()},
        )
    return aware


# An instant a client sends (a query's since): without an offset it is read as UTC; refused
# with 422 outside the range PostgreSQL's timestamptz and the services store.
SaneMoment = Annotated[datetime, AfterValidator(_sane_moment)]
