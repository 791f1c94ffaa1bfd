"""The overview's SQL. Functions take a connection and never commit.

Status knows a complaint's kelurahan by name only, and two of Depok's kelurahan share one
(Curug in Cimanggis and in Bojongsari), so counts come per kelurahan name *and* per cell of
`CELL_DEGREES` (about 2 km): whoever draws them picks, among the kelurahan of that name, the one
nearest the cell. A cell is coarse enough to say nothing about where a reporter lives."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

import asyncpg

CELL_DEGREES = 0.02
OPEN_STATUSES = ("diterima", "terverifikasi", "dalam_proses", "dibuka_kembali")
# The same rule as the public list (repository.PUBLICLY_SHOWN): the reporter chose `publik`
# and to be listed. No index of its own: a partial covering index measured no faster at a
# million complaints (benchmarks/status/overview.py), since the count reads most of a year.
PUBLICLY_LISTED = "privacy = 'publik' AND publicly_visible"

# Cells by whole-number index (grouping integers is several times cheaper than numerics).
_CELL = f"""
    kelurahan,
    round(lat / {CELL_DEGREES})::integer AS lat_cell,
    round(lon / {CELL_DEGREES})::integer AS lon_cell,
    status,
    count(*) AS count
"""


def cell_centre(index: int | None) -> float | None:
    """The latitude or longitude of a cell's centre, from its index."""
    return None if index is None else round(index * CELL_DEGREES, 6)


async def public_cells(*, conn: asyncpg.Connection, since: datetime, until: datetime) -> list[asyncpg.Record]:
    """Publicly listed complaints submitted in [since, until), counted per kelurahan, cell and
    status. Complaints routing could not place (no kelurahan) come as one row per status with
    no kelurahan and no cell."""
    return await conn.fetch(
        f"""
        SELECT {_CELL} FROM complaints
        WHERE {PUBLICLY_LISTED} AND status IS NOT NULL
          AND submitted_at >= $1 AND submitted_at < $2
        GROUP BY 1, 2, 3, 4 ORDER BY 1, 2, 3, 4
        """,
        since,
        until,
    )


async def open_cells(
    *, conn: asyncpg.Connection, department: str | None, statuses: Sequence[str] = OPEN_STATUSES
) -> list[asyncpg.Record]:
    """Complaints open now (whenever received), led by `department` (or every department),
    counted per kelurahan, cell and status."""
    return await conn.fetch(
        f"""
        SELECT {_CELL} FROM complaints
        WHERE status = ANY($1::text[]) AND ($2::text IS NULL OR department = $2)
        GROUP BY 1, 2, 3, 4 ORDER BY 1, 2, 3, 4
        """,
        list(statuses),
        department,
    )


async def per_day(
    *, conn: asyncpg.Connection, department: str | None, since: datetime, until: datetime
) -> list[asyncpg.Record]:
    """Per day in Depok's time (WIB): complaints received and complaints finished (`selesai`)
    in [since, until), led by `department` (or every department). Days with neither are absent."""
    return await conn.fetch(
        """
        WITH received AS (
            SELECT (received_at AT TIME ZONE 'Asia/Jakarta')::date AS day, count(*) AS received
            FROM complaints
            WHERE received_at >= $1 AND received_at < $2 AND ($3::text IS NULL OR department = $3)
            GROUP BY 1
        ), finished AS (
            SELECT (resolved_at AT TIME ZONE 'Asia/Jakarta')::date AS day, count(*) AS finished
            FROM complaints
            WHERE resolved_at >= $1 AND resolved_at < $2 AND ($3::text IS NULL OR department = $3)
              AND status = 'selesai'
            GROUP BY 1
        )
        SELECT day, coalesce(received, 0) AS received, coalesce(finished, 0) AS finished
        FROM received FULL JOIN finished USING (day)
        ORDER BY day
        """,
        since,
        until,
        department,
    )
