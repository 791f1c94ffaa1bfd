"""The access answer: a machine-readable export of everything intake holds about a
complaint's reporter (identity, the complaint, photos and their metadata, the tracking
timeline, who looked at the identity, their requests). Staff names are left out: they are
other people's data (UU 27/2022 Art. 33)."""

from __future__ import annotations

from datetime import datetime
from uuid import UUID

import asyncpg

from sigap_intake.privacy import repository
from sigap_intake.sealing import Sealer

FORMAT = "sigap-personal-data-export/1"


def _iso(value: datetime | None) -> str | None:
    return value.isoformat() if value is not None else None


async def personal_data_export(
    *, conn: asyncpg.Connection, sealer: Sealer, complaint_id: UUID, generated_at: datetime, held_elsewhere: dict
) -> dict:
    """Intake's own data read here; `held_elsewhere` is what status and notify answered
    (`HeldElsewhere.about`)."""
    complaint = await repository.held_complaint(conn=conn, complaint_id=complaint_id)
    assert complaint is not None
    identity = None
    if complaint["reporter_identity"] is not None:
        identity = sealer.open(bytes(complaint["reporter_identity"]), bound_to=complaint_id.bytes)
    held = await repository.held_records(conn=conn, complaint_id=complaint_id)
    return {
        "format": FORMAT,
        "generated_at": _iso(generated_at),
        "controller": "Pemerintah Kota (Sigap)",
        "legal_basis": "UU 27/2022 Pasal 20 ayat (2) huruf e (tugas pelayanan publik)",
        "identity": identity,
        "reporter_pseudonym": complaint["reporter_pseudonym"],
        "complaint": {
            "id": str(complaint["id"]),
            "tracking_code": complaint["tracking_code"],
            "kind": complaint["kind"],
            "title": complaint["title"],
            "description": complaint["description"],
            "category": complaint["category"],
            "address": complaint["address"],
            "location": (
                {"lat": complaint["lat"], "lon": complaint["lon"]} if complaint["lat"] is not None else None
            ),
            "privacy": complaint["privacy"],
            "publicly_visible": complaint["publicly_visible"],
            "submitted_at": _iso(complaint["submitted_at"]),
            "department": complaint["department"],
            "status": complaint["status"],
            "status_changed_at": _iso(complaint["status_changed_at"]),
            "resolution_note": complaint["resolution_note"],
            "rating": complaint["rating"],
            "processing_restricted_at": _iso(complaint["processing_restricted_at"]),
            "personal_data_erased_at": _iso(complaint["personal_data_erased_at"]),
        },
        "photos": [
            {
                "id": str(photo["id"]),
                "media_type": photo["media_type"],
                "size_bytes": photo["size_bytes"],
                "width": photo["width"],
                "height": photo["height"],
                "verdict": photo["verdict"],
                "taken_at": _iso(photo["taken_at"]),
                "camera_make": photo["camera_make"],
                "camera_model": photo["camera_model"],
                "software": photo["software"],
                "gps": {"lat": photo["gps_lat"], "lon": photo["gps_lon"]} if photo["gps_lat"] is not None else None,
                "original_kept": photo["original_key"] is not None,
                "uploaded_at": _iso(photo["uploaded_at"]),
            }
            for photo in held.photos
        ],
        "tracking_timeline": [
            {
                "event_type": entry["event_type"],
                "status": entry["status"],
                "department": entry["department"],
                "note": entry["note"],
                "at": _iso(entry["occurred_at"]),
            }
            for entry in held.tracking_timeline
        ],
        "identity_access": [
            {"by_role": look["actor_role"], "outcome": look["outcome"], "at": _iso(look["at"])}
            for look in held.identity_looks
        ],
        "personal_data_requests": [
            {
                "id": str(request["id"]),
                "kind": request["kind"],
                "received_at": _iso(request["received_at"]),
                "due_at": _iso(request["due_at"]),
                "state": request["state"],
                "answer_reason": request["answer_reason"],
            }
            for request in held.requests
        ],
        "status": held_elsewhere.get("status"),
        "notify": held_elsewhere.get("notify"),
        "routing": held_elsewhere.get("routing"),
    }
