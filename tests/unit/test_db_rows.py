"""`Rows`: a statement's array parameters come from a row dataclass, in field order, with the
PostgreSQL type each field's Python type (or its `Annotated` override) names."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Annotated
from uuid import UUID, uuid4

import pytest

from sigap_shared.db import Rows, placeholders


@dataclass(frozen=True)
class _Row:
    id: UUID
    name: str | None
    score: Annotated[float, "real"]
    params: Annotated[str | None, "jsonb"]
    at: datetime


def test_the_unnest_and_its_parameters_follow_the_row_type() -> None:
    rows = Rows(_Row)
    assert rows.names == ("id", "name", "score", "params", "at")
    assert rows.unnest == (
        "unnest($1::uuid[], $2::text[], $3::real[], $4::jsonb[], $5::timestamptz[])"
        " WITH ORDINALITY AS incoming(id, name, score, params, at, position)"
    )
    first, second = uuid4(), uuid4()
    now = datetime.now(UTC)
    assert rows.params([_Row(first, "a", 1.0, "{}", now), _Row(second, None, 2.0, None, now)]) == [
        [first, second],
        ["a", None],
        [1.0, 2.0],
        ["{}", None],
        [now, now],
    ]
    assert placeholders(["event_id", "lead"], after=rows) == {"event_id": "$6", "lead": "$7"}


def test_a_field_type_without_a_postgresql_type_is_refused() -> None:
    @dataclass
    class _Odd:
        values: list[int]

    with pytest.raises(KeyError):
        Rows(_Odd)
