"""SQL for duplicate candidates. Functions take `*, conn` and never commit."""

from __future__ import annotations

import math
from datetime import datetime
from uuid import UUID

import asyncpg


async def nearby_open_complaints(
    *,
    conn: asyncpg.Connection,
    complaint_id: UUID,
    category: str,
    lat: float,
    lon: float,
    kelurahan: str | None,
    before: datetime,
    distance_m: float,
    limit: int = 10,
) -> list[asyncpg.Record]:
    """Earlier open complaints of the same category within `distance_m` (and in the same
    kelurahan when both are known), nearest first."""
    # A degree of latitude is ~111 km everywhere; a degree of longitude shrinks with cos(lat).
    dlat = distance_m / 111_320.0
    dlon = distance_m / (111_320.0 * max(0.01, math.cos(math.radians(lat))))
    return await conn.fetch(
        """
        SELECT id, tracking_code, status, department, kelurahan, submitted_at, distance_m FROM (
            SELECT id, tracking_code, status, department, kelurahan, submitted_at,
                   2 * 6371000 * asin(sqrt(
                       power(sin(radians(lat - $3) / 2), 2)
                       + cos(radians($3)) * cos(radians(lat)) * power(sin(radians(lon - $4) / 2), 2)
                   )) AS distance_m
            FROM complaints
            WHERE category = $2 AND lat BETWEEN $3 - $5 AND $3 + $5 AND lon BETWEEN $4 - $6 AND $4 + $6
              AND id <> $1 AND submitted_at < $7
              AND status IN ('diterima', 'terverifikasi', 'dalam_proses', 'dibuka_kembali')
              AND ($8::text IS NULL OR kelurahan IS NULL OR kelurahan = $8)
        ) AS nearby
        WHERE distance_m <= $9
        ORDER BY distance_m, submitted_at
        LIMIT $10
        """,
        complaint_id,
        category,
        lat,
        lon,
        dlat,
        dlon,
        before,
        kelurahan,
        distance_m,
        limit,
    )
