"""The officer's task order (pure): nearest first from a position, places unknown last, oldest
first without a position; the haversine distance against known city distances."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta

import pytest

from sigap_status.tasks.rules import Point, distance_m, in_order

T0 = datetime(2026, 12, 1, tzinfo=UTC)


def _task(hours: int, place: tuple[float, float] | None) -> dict:
    lat, lon = place or (None, None)
    return {"id": uuid.uuid4(), "submitted_at": T0 + timedelta(hours=hours), "lat": lat, "lon": lon}


def test_distance_along_a_meridian_and_zero_at_the_same_place() -> None:
    here = Point(-6.3925, 106.8226)
    assert distance_m(here, here) == 0
    # 0.01 degree of latitude is about 1.11 km anywhere.
    assert distance_m(here, Point(-6.4025, 106.8226)) == pytest.approx(1111.95, abs=0.5)


def test_nearest_first_unknown_places_last_and_oldest_first_without_a_position() -> None:
    far, near, nowhere, older_nowhere = (
        _task(0, (-6.36, 106.83)),
        _task(1, (-6.39, 106.82)),
        _task(2, None),
        _task(3, None),
    )
    older_nowhere["submitted_at"] = T0 - timedelta(hours=1)
    tasks = [far, near, nowhere, older_nowhere]
    ordered = in_order(tasks, near=Point(-6.3925, 106.8226))
    assert [task for task, _ in ordered] == [near, far, older_nowhere, nowhere]
    assert ordered[0][1] < ordered[1][1] and ordered[2][1] is None
    assert [task for task, distance in in_order(tasks, near=None)] == [older_nowhere, far, near, nowhere]
    assert all(distance is None for _, distance in in_order(tasks, near=None))
