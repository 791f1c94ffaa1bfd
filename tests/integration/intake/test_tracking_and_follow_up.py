"""Tracking a report and the reporter's follow-ups, fed by real routed/status events through
intake's own handlers, against real PostgreSQL; and the per-device rate limit over HTTP."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta

import orjson
import pytest

from sigap_intake.events import handlers
from sigap_shared.events import ComplaintRouted, ComplaintStatusChanged, Envelope, decode, headers_from_json
from tests.integration.intake.conftest import running_intake

pytestmark = pytest.mark.integration


def _complaint(privacy: str = "publik") -> dict:
    body = {
        "description": "Sampah menumpuk di TPS Jl. Raya Sawangan, bau menyengat ke rumah warga",
        "category": "sampah",
        "location": {"lat": -6.40, "lon": 106.78},
        "privacy": privacy,
    }
    if privacy != "anonim":
        body["reporter"] = {"email": "warga@example.com"}
    return body


async def _submit(intake, privacy: str = "publik") -> dict:
    response = await intake.client.post("/v1/complaints", json=_complaint(privacy))
    assert response.status_code == 201, response.text
    return response.json()


async def _deliver(intake, payload) -> None:
    async with intake.pool.acquire() as conn, conn.transaction():
        envelope = Envelope(source="sigap/test", data=payload)
        handle = handlers.on_complaints_routed if isinstance(payload, ComplaintRouted) else handlers.on_status_changes
        await handle(conn=conn, envelopes=[envelope])


async def _finish(intake, receipt: dict, *, at: datetime | None = None) -> None:
    complaint_id = uuid.UUID(receipt["id"])
    now = at or datetime.now(UTC)
    await _deliver(intake, ComplaintRouted(
        complaint_id=complaint_id, tracking_code=receipt["tracking_code"], department="DLHK",
        confidence=0.9, needs_triage=False, routed_at=now - timedelta(hours=2),
    ))
    for offset, (previous, status) in enumerate([(None, "diterima"), ("diterima", "dalam_proses"), ("dalam_proses", "selesai")]):
        await _deliver(intake, ComplaintStatusChanged(
            complaint_id=complaint_id, tracking_code=receipt["tracking_code"], department="DLHK",
            previous_status=previous, status=status, actor="officer:1",
            note="internal: vendor truk telat" if status == "dalam_proses" else None,
            resolution_note="Sampah sudah diangkut" if status == "selesai" else None,
            changed_at=now - timedelta(hours=1) + timedelta(minutes=offset),
        ))


async def _outbox_events(intake) -> list:
    rows = await intake.pool.fetch("SELECT headers, payload FROM outbox ORDER BY id")
    return [decode(headers_from_json(row["headers"]), row["payload"]).data for row in rows]


async def test_public_report_is_tracked_by_code_with_department_status_and_public_timeline(intake):
    receipt = await _submit(intake)
    code = receipt["tracking_code"]
    fresh = (await intake.client.get(f"/v1/track/{code}")).json()
    assert fresh["status"] == "diterima" and fresh["department"] is None and fresh["timeline"] == []
    await _finish(intake, receipt)
    view = (await intake.client.get(f"/v1/track/{code}")).json()
    assert view["status"] == "selesai" and view["department"] == "DLHK"
    assert view["resolution_note"] == "Sampah sudah diangkut"
    assert [entry["status"] for entry in view["timeline"]] == [None, "diterima", "dalam_proses", "selesai"]
    assert "internal" not in orjson.dumps(view).decode()
    assert view["description"].startswith("Sampah menumpuk")


async def test_out_of_order_status_events_keep_the_latest(intake):
    receipt = await _submit(intake)
    complaint_id, code = uuid.UUID(receipt["id"]), receipt["tracking_code"]
    now = datetime.now(UTC)
    for status, at in (("selesai", now), ("dalam_proses", now - timedelta(hours=1))):
        await _deliver(intake, ComplaintStatusChanged(
            complaint_id=complaint_id, tracking_code=code, department="DLHK", status=status,
            actor="officer:1", changed_at=at,
        ))
    assert (await intake.client.get(f"/v1/track/{code}")).json()["status"] == "selesai"


async def test_events_for_complaints_of_another_intake_are_ignored(intake):
    await _deliver(intake, ComplaintRouted(
        complaint_id=uuid.uuid4(), tracking_code="SGP-ZZZZ-ZZ", department="DLHK",
        confidence=0.5, needs_triage=False, routed_at=datetime.now(UTC),
    ))
    assert await intake.pool.fetchval("SELECT count(*) FROM tracking_timeline") == 0


@pytest.mark.parametrize("privacy", ["rahasia", "anonim"])
async def test_private_reports_need_the_token(intake, privacy):
    receipt = await _submit(intake, privacy)
    code = receipt["tracking_code"]
    without = await intake.client.get(f"/v1/track/{code}")
    wrong = await intake.client.get(f"/v1/track/{code}", headers={"X-Follow-Up-Token": "not-the-token"})
    unknown = await intake.client.get("/v1/track/SGP-2222-22")
    for response in (without, wrong, unknown):
        assert response.status_code == 404
        assert response.headers["content-type"].startswith("application/problem+json")
    assert without.json()["detail"] == unknown.json()["detail"]
    ok = await intake.client.get(f"/v1/track/{code}", headers={"X-Follow-Up-Token": receipt["follow_up_token"]})
    assert ok.status_code == 200 and ok.json()["description"]
    by_query = await intake.client.get(f"/v1/track/{code}", params={"token": receipt["follow_up_token"]})
    assert by_query.status_code == 200


async def test_information_can_be_added_while_open_and_travels_as_an_event(intake):
    receipt = await _submit(intake)
    code, token = receipt["tracking_code"], receipt["follow_up_token"]
    path = f"/v1/track/{code}/information"
    refused = await intake.client.post(path, json={"text": "Tambahan info"}, headers={"X-Follow-Up-Token": "x"})
    assert refused.status_code == 404
    added = await intake.client.post(
        path, json={"text": "Sekarang sampah sudah sampai ke badan jalan"}, headers={"X-Follow-Up-Token": token}
    )
    assert added.status_code == 201, added.text
    events = await _outbox_events(intake)
    assert type(events[-1]).__name__ == "ComplaintInformationAdded"
    assert events[-1].text == "Sekarang sampah sudah sampai ke badan jalan"
    await _finish(intake, receipt)
    closed = await intake.client.post(path, json={"text": "Masih ada?"}, headers={"X-Follow-Up-Token": token})
    assert closed.status_code == 409 and closed.json()["type"].endswith("/complaint-closed")


async def test_rating_only_after_resolution_and_only_once(intake):
    receipt = await _submit(intake)
    code, token = receipt["tracking_code"], receipt["follow_up_token"]
    path = f"/v1/track/{code}/rating"
    early = await intake.client.post(path, json={"rating": 5}, headers={"X-Follow-Up-Token": token})
    assert early.status_code == 409 and early.json()["type"].endswith("/not-finished")
    await _finish(intake, receipt)
    bad = await intake.client.post(path, json={"rating": 6}, headers={"X-Follow-Up-Token": token})
    assert bad.status_code == 422
    rated = await intake.client.post(path, json={"rating": 4, "comment": "Cepat"}, headers={"X-Follow-Up-Token": token})
    assert rated.status_code == 201
    again = await intake.client.post(path, json={"rating": 1}, headers={"X-Follow-Up-Token": token})
    assert again.status_code == 409 and again.json()["type"].endswith("/already-rated")
    event = (await _outbox_events(intake))[-1]
    assert type(event).__name__ == "ComplaintRated" and event.rating == 4
    assert (await intake.client.get(f"/v1/track/{code}")).json()["rating"] == 4


async def test_reopen_within_the_window_only(intake):
    receipt = await _submit(intake)
    token = receipt["follow_up_token"]
    path = f"/v1/track/{receipt['tracking_code']}/reopen"
    reason = {"reason": "Sampah menumpuk lagi sehari setelah diangkut"}
    early = await intake.client.post(path, json=reason, headers={"X-Follow-Up-Token": token})
    assert early.status_code == 409
    await _finish(intake, receipt)
    invisible = await intake.client.post(path, json={"reason": "\u200b" * 12}, headers={"X-Follow-Up-Token": token})
    assert invisible.status_code == 422 and invisible.json()["errors"][0]["code"] == "text_not_visible"
    reopened = await intake.client.post(path, json=reason, headers={"X-Follow-Up-Token": token})
    assert reopened.status_code == 201
    event = (await _outbox_events(intake))[-1]
    assert type(event).__name__ == "ComplaintReopenRequested" and event.reason == reason["reason"]

    late = await _submit(intake)
    await _finish(intake, late, at=datetime.now(UTC) - timedelta(days=40))
    too_late = await intake.client.post(
        f"/v1/track/{late['tracking_code']}/reopen", json=reason, headers={"X-Follow-Up-Token": late["follow_up_token"]}
    )
    assert too_late.status_code == 409 and too_late.json()["type"].endswith("/reopen-window-passed")
    assert "30 hari" in too_late.json()["detail"]

    # Status closing the quiet complaint later (SP4N-LAPOR!, docs/lapor.md: selesai stays
    # selesai) does not restart the count from the follow-up, and ends the window for good.
    finished_at = await intake.pool.fetchval("SELECT status_changed_at FROM complaints WHERE id = $1", uuid.UUID(late["id"]))
    await _deliver(intake, ComplaintStatusChanged(
        complaint_id=uuid.UUID(late["id"]), tracking_code=late["tracking_code"], department="DLHK",
        previous_status="selesai", status="selesai", reason="ditutup_otomatis", actor="sistem",
        resolution_note="Sampah sudah diangkut", changed_at=datetime.now(UTC) - timedelta(minutes=5),
    ))
    assert await intake.pool.fetchval(
        "SELECT status_changed_at FROM complaints WHERE id = $1", uuid.UUID(late["id"])
    ) == finished_at
    closed = await intake.client.post(
        f"/v1/track/{late['tracking_code']}/reopen", json=reason, headers={"X-Follow-Up-Token": late["follow_up_token"]}
    )
    assert closed.status_code == 409 and closed.json()["type"].endswith("/lapor-closed")

    # The city admin may still reopen it at status; after the next follow-up the reporter's
    # objection window is open again.
    for minutes, (previous, status) in ((4, ("selesai", "dibuka_kembali")), (3, ("dibuka_kembali", "selesai"))):
        await _deliver(intake, ComplaintStatusChanged(
            complaint_id=uuid.UUID(late["id"]), tracking_code=late["tracking_code"], department="DLHK",
            previous_status=previous, status=status, actor="admin.kota",
            resolution_note="Sampah diangkut lagi" if status == "selesai" else None,
            changed_at=datetime.now(UTC) - timedelta(minutes=minutes),
        ))
    assert await intake.pool.fetchval("SELECT lapor_closed_at FROM complaints WHERE id = $1", uuid.UUID(late["id"])) is None
    again = await intake.client.post(
        f"/v1/track/{late['tracking_code']}/reopen", json=reason, headers={"X-Follow-Up-Token": late["follow_up_token"]}
    )
    assert again.status_code == 201, again.text


async def test_the_tracking_view_says_whether_and_until_when_the_reporter_may_reopen(intake):
    receipt = await _submit(intake, "rahasia")
    code, token = receipt["tracking_code"], receipt["follow_up_token"]
    complaint_id = uuid.UUID(receipt["id"])
    owner = {"X-Follow-Up-Token": token}

    async def view() -> dict:
        response = await intake.client.get(f"/v1/track/{code}", headers=owner)
        assert response.status_code == 200, response.text
        return response.json()

    handled = await view()
    assert handled["can_reopen"] is False and handled["reopen_until"] is None and handled["lapor_closed_at"] is None
    # The fields come with the view only: without the token a confidential report is not found.
    assert (await intake.client.get(f"/v1/track/{code}")).status_code == 404

    await _finish(intake, receipt)
    finished_at = await intake.pool.fetchval("SELECT status_changed_at FROM complaints WHERE id = $1", complaint_id)
    finished = await view()
    assert finished["can_reopen"] is True and finished["lapor_closed_at"] is None
    assert datetime.fromisoformat(finished["reopen_until"]) == finished_at + timedelta(days=30)

    # SP4N-LAPOR!'s auto-close as status announces it: the follow-up's note comes again with it.
    closed_at = datetime.now(UTC).replace(microsecond=0)
    await _deliver(intake, ComplaintStatusChanged(
        complaint_id=complaint_id, tracking_code=code, department="DLHK", previous_status="selesai",
        status="selesai", reason="ditutup_otomatis", actor="sistem", actor_role="system",
        note="Ditutup otomatis: tidak ada tanggapan dalam masa tanggapan setelah tindak lanjut.",
        resolution_note="Sampah sudah diangkut", changed_at=closed_at,
    ))  # fmt: skip
    closed = await view()
    assert closed["can_reopen"] is False and closed["reopen_until"] is None
    assert datetime.fromisoformat(closed["lapor_closed_at"]) == closed_at
    assert closed["status"] == "selesai" and closed["resolution_note"] == "Sampah sudah diangkut"
    # The auto-close's timeline entry says why it closed, not the follow-up's note once more.
    follow_up, auto_close = closed["timeline"][-2:]
    assert follow_up["note"] == "Sampah sudah diangkut"
    assert auto_close["status"] == "selesai" and auto_close["note"] == handlers.AUTO_CLOSE_NOTE
    assert auto_close["note"].startswith("Ditutup otomatis") and "Sampah" not in auto_close["note"]
    refused = await intake.client.post(f"/v1/track/{code}/reopen", json={"reason": "Sampah menumpuk lagi"}, headers=owner)
    assert refused.status_code == 409 and refused.json()["type"].endswith("/lapor-closed")

    # Past the calendar-day bound without a LAPOR! closing: not any more, and since when.
    late = await _submit(intake)
    await _finish(intake, late, at=datetime.now(UTC) - timedelta(days=40))
    expired = (await intake.client.get(f"/v1/track/{late['tracking_code']}")).json()
    assert expired["can_reopen"] is False and expired["lapor_closed_at"] is None
    assert datetime.fromisoformat(expired["reopen_until"]) < datetime.now(UTC)


async def test_rate_limit_answers_429_with_retry_after(infra, databases, tmp_path):
    async with running_intake(infra, databases, tmp_path / "p", rate_limit_per_minute=6, rate_limit_burst=3) as intake:
        device = {"X-Device-Id": str(uuid.uuid4())}
        statuses = [
            (await intake.client.post("/v1/complaints", json=_complaint(), headers=device)).status_code
            for _ in range(4)
        ]
        assert statuses == [201, 201, 201, 429]
        limited = await intake.client.post("/v1/capture-sessions", headers=device)
        assert limited.status_code == 429
        assert int(limited.headers["retry-after"]) >= 1
        assert limited.headers["content-type"].startswith("application/problem+json")
        other_device = await intake.client.post("/v1/complaints", json=_complaint(), headers={"X-Device-Id": "other"})
        assert other_device.status_code == 201
        assert await intake.pool.fetchval("SELECT count(*) FROM complaints") == 4


async def test_the_reporters_added_information_is_in_their_own_timeline(intake):
    receipt = await _submit(intake, "rahasia")
    code, token = receipt["tracking_code"], receipt["follow_up_token"]
    added = await intake.client.post(
        f"/v1/track/{code}/information",
        json={"text": "Sampahnya sekarang sampai menutup selokan"},
        headers={"X-Follow-Up-Token": token},
    )
    assert added.status_code == 201, added.text
    view = await intake.client.get(f"/v1/track/{code}", headers={"X-Follow-Up-Token": token})
    timeline = view.json()["timeline"]
    assert [(entry["event_type"], entry["note"]) for entry in timeline] == [
        ("sigap.complaint.information_added.v1", "Sampahnya sekarang sampai menutup selokan")
    ]


async def test_anyone_tracking_a_public_report_reads_the_added_information_as_its_description(intake):
    receipt = await _submit(intake, "publik")
    code, token = receipt["tracking_code"], receipt["follow_up_token"]
    await intake.client.post(
        f"/v1/track/{code}/information", json={"text": "Sudah dua minggu"}, headers={"X-Follow-Up-Token": token}
    )
    anyone = (await intake.client.get(f"/v1/track/{code}")).json()
    assert anyone["description"]
    assert [(entry["event_type"], entry["note"]) for entry in anyone["timeline"]] == [
        ("sigap.complaint.information_added.v1", "Sudah dua minggu")
    ]


@pytest.mark.parametrize("action", ["information", "rating", "reopen"])
async def test_the_reporters_actions_need_the_follow_up_token_header(intake, action):
    receipt = await _submit(intake)
    body = {"information": {"text": "Tambahan info"}, "rating": {"rating": 5}, "reopen": {"reason": "Sampah kembali lagi"}}
    missing = await intake.client.post(f"/v1/track/{receipt['tracking_code']}/{action}", json=body[action])
    assert missing.status_code == 422
    assert [error["field"] for error in missing.json()["errors"]] == ["x-follow-up-token"]
