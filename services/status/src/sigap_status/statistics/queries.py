"""SQL for the figures staff and the public read. Functions take `*, conn` and never commit."""

from __future__ import annotations

from datetime import datetime

import asyncpg


async def statistics(
    *, conn: asyncpg.Connection, department: str | None, since: datetime, until: datetime
) -> dict[str, list[asyncpg.Record]]:
    """Counts, time to verify and to finish, and SLA compliance for complaints received in
    [since, until), for one lead department or all."""
    scope = "received_at >= $1 AND received_at < $2 AND ($3::text IS NULL OR department = $3)"
    counts = await conn.fetch(
        f"SELECT department, status, category, count(*) AS count FROM complaints WHERE {scope}"
        " GROUP BY department, status, category ORDER BY department, status, category",
        since,
        until,
        department,
    )
    durations = await conn.fetch(
        f"""
        SELECT department,
               count(verified_at) AS verified,
               percentile_cont(0.5) WITHIN GROUP (ORDER BY extract(epoch FROM verified_at - received_at))
                   FILTER (WHERE verified_at IS NOT NULL) AS verify_p50_s,
               percentile_cont(0.9) WITHIN GROUP (ORDER BY extract(epoch FROM verified_at - received_at))
                   FILTER (WHERE verified_at IS NOT NULL) AS verify_p90_s,
               count(resolved_at) AS finished,
               percentile_cont(0.5) WITHIN GROUP (ORDER BY extract(epoch FROM resolved_at - received_at))
                   FILTER (WHERE resolved_at IS NOT NULL) AS finish_p50_s,
               percentile_cont(0.9) WITHIN GROUP (ORDER BY extract(epoch FROM resolved_at - received_at))
                   FILTER (WHERE resolved_at IS NOT NULL) AS finish_p90_s
        FROM complaints WHERE {scope} GROUP BY department ORDER BY department
        """,
        since,
        until,
        department,
    )
    compliance = await conn.fetch(
        f"""
        SELECT department,
               to_char(date_trunc('month', received_at AT TIME ZONE 'Asia/Jakarta'), 'YYYY-MM') AS month,
               count(*) AS received,
               count(*) FILTER (WHERE verify_breached_at IS NULL AND finish_breached_at IS NULL) AS within_sla
        FROM complaints WHERE {scope}
        GROUP BY department, month ORDER BY department, month
        """,
        since,
        until,
        department,
    )
    return {"counts": counts, "durations": durations, "compliance": compliance}
