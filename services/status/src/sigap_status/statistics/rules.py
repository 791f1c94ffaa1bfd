"""Which period figures cover, and the figures as staff and the public read them (hours, rates)."""

from __future__ import annotations

from datetime import date, datetime, time, timedelta
from typing import Any

from sigap_shared.errors import Text
from sigap_status.errors import InvalidInput
from sigap_status.sla.rules import WIB
from sigap_status.statistics import queries


def period(since: date | None, until: date | None) -> tuple[date, date]:
    until = until or datetime.now(WIB).date() + timedelta(days=1)
    since = since or until - timedelta(days=365)
    if since >= until or (until - since).days > 3 * 366:
        raise InvalidInput(
            "since",
            Text("periode tidak valid", "invalid period"),
            location="query",
            detail=Text(
                "Periode harus diawali sebelum berakhir dan paling lama 3 tahun.",
                "The period must start before it ends and span at most 3 years.",
            ),
        )
    return since, until


async def figures(*, conn: Any, department: str | None, since: date, until: date) -> dict[str, list[dict[str, Any]]]:
    def start_of(day: date) -> datetime:
        return datetime.combine(day, time(0, 0), tzinfo=WIB)

    raw = await queries.statistics(conn=conn, department=department, since=start_of(since), until=start_of(until))
    return {
        "counts": [dict(row) for row in raw["counts"]],
        "durations": [
            {
                "department": row["department"],
                "verified": row["verified"],
                "finished": row["finished"],
                **{
                    f"{key.removesuffix('_s')}_hours": None if row[key] is None else round(row[key] / 3600, 2)
                    for key in ("verify_p50_s", "verify_p90_s", "finish_p50_s", "finish_p90_s")
                },
            }
            for row in raw["durations"]
        ],
        "sla_compliance": [
            {**dict(row), "rate": round(row["within_sla"] / row["received"], 4) if row["received"] else None}
            for row in raw["compliance"]
        ],
    }
