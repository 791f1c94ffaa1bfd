"""SQL for the figures staff and the public read. Functions take `*, conn` and never commit."""

from __future__ import annotations

from datetime import datetime

import asyncpg


async def statistics(
    *, conn: asyncpg.Connection, department: str | None, since: datetime, until: datetime, now: datetime
) -> dict[str, list[asyncpg.Record]]:
    """Counts, time to verify and to finish, SLA compliance, breaches and escalations for
    complaints received in [since, until), for one lead department or all."""
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
    # Each breach (verify, finish) counts once; it is overdue from the breach until its stage
    # was done (verified; finished or rejected), or until now while it still runs.
    breaches = await conn.fetch(
        f"""
        WITH scoped AS (SELECT * FROM complaints WHERE {scope}),
        overdue AS (
            SELECT department, coalesce(verified_at, resolved_at, $4) - verify_breached_at AS late
            FROM scoped WHERE verify_breached_at IS NOT NULL
            UNION ALL
            SELECT department, coalesce(resolved_at, $4) - finish_breached_at AS late
            FROM scoped WHERE finish_breached_at IS NOT NULL
        )
        SELECT department, count(*) AS breaches,
               percentile_cont(0.5) WITHIN GROUP (ORDER BY greatest(extract(epoch FROM late), 0)) AS overdue_p50_s
        FROM overdue GROUP BY department ORDER BY department
        """,
        since,
        until,
        department,
        now,
    )
    escalations = await conn.fetch(
        """
        SELECT c.department, count(*) AS escalations, count(DISTINCT c.id) AS escalated_complaints
        FROM complaint_escalations e JOIN complaints c ON c.id = e.complaint_id
        WHERE c.received_at >= $1 AND c.received_at < $2 AND ($3::text IS NULL OR c.department = $3)
        GROUP BY c.department ORDER BY c.department
        """,
        since,
        until,
        department,
    )
    # Per ladder step (head of department, city, or a department's own): how often it was told.
    steps = await conn.fetch(
        """
        SELECT c.department, e.step, min(e.step_number) AS step_number, count(*) AS escalations
        FROM complaint_escalations e JOIN complaints c ON c.id = e.complaint_id
        WHERE c.received_at >= $1 AND c.received_at < $2 AND ($3::text IS NULL OR c.department = $3)
        GROUP BY c.department, e.step ORDER BY c.department, step_number, e.step
        """,
        since,
        until,
        department,
    )
    return {
        "counts": counts,
        "durations": durations,
        "compliance": compliance,
        "breaches": breaches,
        "escalations": escalations,
        "escalation_steps": steps,
    }
