"""Intake records what routing and status announce in runs (one statement a run): the same
tracking view as one event at a time, the latest status change winning whatever the order,
and announcements about another intake's complaints ignored."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta

import pytest

from sigap_intake.events import handlers
from sigap_shared.events import Envelope
from tests.support import events

pytestmark = pytest.mark.integration

COMPLAINT = {
    "description": "Lampu jalan di Jl. Nusantara mati tiga malam, gelap dan rawan jambret",
    "category": "lampu_jalan",
    "location": {"lat": -6.39, "lon": 106.83},
    "privacy": "publik",
}


def _changed(receipt: dict, status: str, at: datetime, **extra) -> Envelope:
    complaint = {"complaint_id": uuid.UUID(receipt["id"]), "tracking_code": receipt["tracking_code"]}
    change = {"department": "DISHUB", "status": status, "actor": "admin.dishub", "changed_at": at}
    return events.status_changed(**complaint, **change, **extra)


async def test_a_run_of_announcements_gives_the_latest_state_of_each_complaint(intake):
    receipts = []
    for _ in range(3):
        response = await intake.client.post("/v1/complaints", json=COMPLAINT)
        assert response.status_code == 201, response.text
        receipts.append(response.json())
    now = datetime.now(UTC)
    routed = [
        events.routed(
            complaint_id=uuid.UUID(receipt["id"]),
            tracking_code=receipt["tracking_code"],
            department="DISHUB",
            routed_at=now - timedelta(minutes=30),
        )
        for receipt in receipts
    ]
    # A complaint submitted at another intake: not tracked here.
    stranger = events.routed(tracking_code="SGP-ZZZZ-ZZ", department="DLHK", routed_at=now)
    photo = uuid.uuid4()
    first, second, third = receipts
    changes = [
        _changed(first, "diterima", now - timedelta(minutes=20)),
        _changed(second, "diterima", now - timedelta(minutes=20)),
        _changed(
            first, "selesai", now - timedelta(minutes=5), resolution_note="Lampu diganti", after_photo_ids=(photo,)
        ),
        # Older than what is already known, arriving late in the same poll: recorded in the
        # timeline but not allowed to turn the clock back.
        _changed(first, "dalam_proses", now - timedelta(minutes=10)),
        _changed(third, "ditolak", now - timedelta(minutes=1), reason="Laporan ganda"),
    ]
    async with intake.pool.acquire() as conn, conn.transaction():
        await handlers.on_complaints_routed(conn=conn, envelopes=[*routed, stranger])
        await handlers.on_status_changes(conn=conn, envelopes=changes)
        await handlers.on_status_changes(conn=conn, envelopes=changes[:1])  # a redelivery: no second entry

    views = {r["tracking_code"]: (await intake.client.get(f"/v1/track/{r['tracking_code']}")).json() for r in receipts}
    one = views[first["tracking_code"]]
    assert (one["status"], one["department"], one["resolution_note"]) == ("selesai", "DISHUB", "Lampu diganti")
    assert one["after_photo_ids"] == [str(photo)]
    assert [entry["status"] for entry in one["timeline"] if entry.get("status")].count("diterima") == 1
    assert views[second["tracking_code"]]["status"] == "diterima"
    assert views[third["tracking_code"]]["status"] == "ditolak"
    assert (
        await intake.pool.fetchval(
            "SELECT count(*) FROM tracking_timeline WHERE complaint_id = $1", stranger.data.complaint_id
        )
        == 0
    )
