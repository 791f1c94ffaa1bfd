"""Which period figures cover, and the figures as staff and the public read them (hours, rates)."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from datetime import UTC, date, datetime, time, timedelta
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

    raw = await queries.statistics(
        conn=conn, department=department, since=start_of(since), until=start_of(until), now=datetime.now(UTC)
    )
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
        "escalation": escalation_figures(raw["breaches"], raw["escalations"], raw["escalation_steps"]),
        "sla_compliance": [
            {**dict(row), "rate": round(row["within_sla"] / row["received"], 4) if row["received"] else None}
            for row in raw["compliance"]
        ],
    }


def escalation_figures(
    breaches: Iterable[Mapping[str, Any]],
    escalations: Iterable[Mapping[str, Any]],
    steps: Iterable[Mapping[str, Any]] = (),
) -> list[dict[str, Any]]:
    """Per department: deadlines breached, escalation steps told (and the complaints they
    concerned) in all and per ladder step, lowest step first, and the median days a breached
    deadline was overdue (calendar days)."""
    by_department: dict[str, dict[str, Any]] = {}

    def row(code: str) -> dict[str, Any]:
        return by_department.setdefault(
            code,
            {
                "department": code,
                "breaches": 0,
                "escalations": 0,
                "escalated_complaints": 0,
                "median_days_overdue": None,
                "steps": [],
            },
        )

    for breach in breaches:
        figures = row(breach["department"])
        figures["breaches"] = breach["breaches"]
        if breach["overdue_p50_s"] is not None:
            figures["median_days_overdue"] = round(breach["overdue_p50_s"] / 86400, 1)
    for escalation in escalations:
        figures = row(escalation["department"])
        figures["escalations"] = escalation["escalations"]
        figures["escalated_complaints"] = escalation["escalated_complaints"]
    for step in sorted(steps, key=lambda step: (step["step_number"], step["step"])):
        row(step["department"])["steps"].append(
            {"step": step["step"], "step_number": step["step_number"], "escalations": step["escalations"]}
        )
    return [by_department[code] for code in sorted(by_department, key=lambda code: code or "")]
