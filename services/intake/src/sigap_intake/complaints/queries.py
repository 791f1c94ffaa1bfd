"""The reporter's view of a complaint by tracking code: status, department, timeline and whether
it may still be reopened; the reporter's own details only with the follow-up token."""

from __future__ import annotations

from datetime import datetime, timedelta

import asyncpg

from sigap_intake.complaints import repository
from sigap_intake.follow_up import rules as follow_up


async def track(
    *, conn: asyncpg.Connection, tracking_code: str, token: str | None, reopen_window: timedelta, now: datetime
) -> dict:
    complaint = await repository.tracked_complaint(conn=conn, tracking_code=tracking_code)
    if complaint is None:
        raise follow_up.not_found()
    own_view = complaint.check_visible(token)
    reopening = follow_up.reopen_window(complaint, now=now, window=reopen_window)
    row, timeline = await repository.tracking_view(conn=conn, complaint_id=complaint.id)  # type: ignore[arg-type]
    view = {
        "tracking_code": row["tracking_code"],
        "kind": row["kind"],
        "category": row["category"],
        "status": row["status"],
        "department": row["department"],
        "submitted_at": row["submitted_at"],
        "status_changed_at": row["status_changed_at"],
        "resolution_note": row["resolution_note"],
        "after_photo_ids": list(row["after_photo_ids"]),
        "photo_verdict": row["photo_verdict"],
        "rating": row["rating"],
        "timeline": [dict(entry) for entry in timeline],
        "can_reopen": reopening.can_reopen,
        "reopen_until": reopening.until,
        "lapor_closed_at": reopening.lapor_closed_at,
    }
    if own_view or (row["privacy"] == "publik" and row["publicly_visible"]):
        view |= {"title": row["title"], "description": row["description"], "address": row["address"]}
    return view
