"""The reporter's view of a complaint by tracking code: status, department and timeline; the
reporter's own details only with the follow-up token."""

from __future__ import annotations



import asyncpg

from sigap_intake.complaints import repository
from sigap_intake.follow_up import rules as follow_up


async def track(*, conn: asyncpg.Connection, tracking_code: str, token: str | None) -> dict:
    complaint = await repository.tracked_complaint(conn=conn, tracking_code=tracking_code)
    if complaint is None:
        raise follow_up.not_found()
    own_view = complaint.check_visible(token)
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
    }
    if own_view or (row["privacy"] == "publik" and row["publicly_visible"]):
        view |= {"title": row["title"], "description": row["description"], "address": row["address"]}
    return view
