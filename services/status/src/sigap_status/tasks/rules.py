"""Pure rules for the officer's task list: which statuses are still work, how far a task is,
and the order the list comes in."""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

# Work not yet finished or refused: an officer may be assigned as soon as a complaint is
# received, and a reopened complaint comes back to them.
OPEN_STATUSES: tuple[str, ...] = ("diterima", "terverifikasi", "dalam_proses", "dibuka_kembali")

EARTH_RADIUS_M = 6_371_008.8


@dataclass(frozen=True, slots=True)
class Point:
    lat: float
    lon: float


def distance_m(a: Point, b: Point) -> float:
    """Great-circle distance (haversine): within a city the error against the ellipsoid is
    well under a metre per kilometre, far below a phone's position accuracy."""
    lat1, lat2 = math.radians(a.lat), math.radians(b.lat)
    dlat, dlon = lat2 - lat1, math.radians(b.lon - a.lon)
    h = math.sin(dlat / 2) ** 2 + math.cos(lat1) * math.cos(lat2) * math.sin(dlon / 2) ** 2
    return 2 * EARTH_RADIUS_M * math.asin(min(1.0, math.sqrt(h)))


def place_of(task: Any) -> Point | None:
    return None if task["lat"] is None or task["lon"] is None else Point(task["lat"], task["lon"])


def in_order(tasks: Sequence[Any], *, near: Point | None) -> list[tuple[Any, float | None]]:
    """Each task with its distance from `near`: nearest first (tasks without a place last,
    oldest first among them), or oldest first when the officer's position is unknown."""

    def age(task: Any) -> tuple[datetime, str]:
        return task["submitted_at"], str(task["id"])

    if near is None:
        return [(task, None) for task in sorted(tasks, key=age)]
    measured = [(task, None if (place := place_of(task)) is None else distance_m(near, place)) for task in tasks]
    return sorted(measured, key=lambda pair: (pair[1] is None, pair[1] or 0.0, age(pair[0])))
