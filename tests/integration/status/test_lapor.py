"""SP4N-LAPOR! on real PostgreSQL through status's own app: a finished complaint closes by
itself after 10 working days (cuti bersama not counted), once, unless the reporter objects in
time; tunda, lanjutkan and arsipkan are audited and refused to the wrong roles; the stage is in
the staff and tracking views; the export holds the documented mapping."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime
from zoneinfo import ZoneInfo

import orjson
import pytest

from sigap_shared.events import ComplaintReopenRequested, ComplaintStatusChanged, Envelope, decode, headers_from_json
from sigap_status.context import lapor_policy_from_settings, sla_policy_from_settings
from sigap_status.events import handlers
from sigap_status.lapor.commands import close_quiet_complaints
from sigap_status.sla.rules import SlaPolicy

pytestmark = pytest.mark.integration

WIB = ZoneInfo("Asia/Jakarta")
# Monday 9 February 2026, 10:00 WIB. The 10 working days after it skip 16 February (cuti
# bersama for the Lunar New Year) and 17 February (the Lunar New Year): they end on Wednesday
# 25 February, so the complaint closes at the start of the 26th, not of the 25th.
FOLLOWED_UP = datetime(2026, 2, 9, 10, 0, tzinfo=WIB)
WITHOUT_CUTI_BERSAMA_IT_WOULD_CLOSE = datetime(2026, 2, 25, 0, 0, tzinfo=WIB)
CLOSES = datetime(2026, 2, 26, 0, 0, tzinfo=WIB)


def _lapor(api):
    return lapor_policy_from_settings(api.settings, sla_policy_from_settings(api.settings))


async def _finish(api, complaint_id, department="DISHUB") -> None:
    _, admin = await api.staff("dept_admin", department)
    officer_name, officer = await api.staff("field_officer", department)
    verified = await api.transition(complaint_id, admin, "terverifikasi")
    assert verified.status_code == 200, verified.text
    await _assign(api, complaint_id, admin, officer_name)
    for headers, to, extra in (
        (officer, "dalam_proses", {}),
        (officer, "selesai", {"resolution_note": "Lampu sudah diganti", "after_photo_ids": [str(uuid.uuid4())]}),
    ):
        response = await api.transition(complaint_id, headers, to, **extra)
        assert response.status_code == 200, response.text


async def _assign(api, complaint_id, admin_headers, officer: str) -> None:
    """A field officer sees only complaints assigned to them: assigned, they are refused with 403."""
    response = await api.client.put(
        f"/v1/complaints/{complaint_id}/assignment",
        json={"officer": officer, "expected_version": await api.version(complaint_id)},
        headers=admin_headers,
    )
    assert response.status_code == 200, response.text


async def _followed_up_at(api, complaint_id, at: datetime) -> None:
    await api.pool.execute("UPDATE complaints SET resolved_at = $2 WHERE id = $1", complaint_id, at)


async def _close(api, now: datetime) -> int:
    async with api.pool.acquire() as conn:
        return await close_quiet_complaints(conn=conn, policy=_lapor(api), now=now)


async def _events(api, complaint_id) -> list[Envelope]:
    rows = await api.pool.fetch("SELECT headers, payload FROM outbox WHERE key = $1 ORDER BY id", str(complaint_id).encode())
    return [decode(headers_from_json(row["headers"]), bytes(row["payload"])) for row in rows]


async def _timeline(api, complaint_id) -> list[dict]:
    rows = await api.pool.fetch(
        "SELECT event_type, actor, detail FROM timeline WHERE complaint_id = $1 ORDER BY occurred_at, id", complaint_id
    )
    return [{"type": r["event_type"], "actor": r["actor"], "detail": orjson.loads(r["detail"])} for r in rows]


async def _reopen_by_reporter(api, complaint_id, at: datetime) -> None:
    code = await api.pool.fetchval("SELECT tracking_code FROM complaints WHERE id = $1", complaint_id)
    request = ComplaintReopenRequested(complaint_id=complaint_id, tracking_code=code, reason="lampu mati lagi", requested_at=at)
    async with api.pool.acquire() as conn, conn.transaction():
        await handlers.on_reporter_follow_up(
            conn=conn, envelope=Envelope(source="sigap/intake", data=request), policy=SlaPolicy()
        )


async def _stage(api, complaint_id) -> dict:
    code = await api.pool.fetchval("SELECT tracking_code FROM complaints WHERE id = $1", complaint_id)
    response = await api.client.get(f"/v1/track/{code}/lapor-stage")
    assert response.status_code == 200, response.text
    return response.json()


async def test_a_quiet_finished_complaint_closes_after_ten_working_days_without_cuti_bersama_once(status_api):
    api = status_api
    complaint_id = await api.seed_complaint()
    await _finish(api, complaint_id)
    await _followed_up_at(api, complaint_id, FOLLOWED_UP)
    assert (await _stage(api, complaint_id))["lapor_stage"] == "menunggu_tanggapan"
    assert datetime.fromisoformat((await _stage(api, complaint_id))["lapor_stage_due_at"]) == CLOSES

    # On the day a calendar without the cuti bersama would close it, it stays open.
    assert await _close(api, WITHOUT_CUTI_BERSAMA_IT_WOULD_CLOSE.replace(hour=16)) == 0
    assert await api.pool.fetchval("SELECT lapor_closed_at FROM complaints WHERE id = $1", complaint_id) is None
    version = await api.version(complaint_id)

    assert await _close(api, CLOSES.replace(minute=5)) == 1
    assert await _close(api, CLOSES.replace(hour=9)) == 0  # once
    row = await api.pool.fetchrow("SELECT status, lapor_closed_at, version FROM complaints WHERE id = $1", complaint_id)
    assert row["status"] == "selesai" and row["lapor_closed_at"] == CLOSES.replace(minute=5)
    assert row["version"] == version + 1

    closing = [e for e in await _events(api, complaint_id) if isinstance(e.data, ComplaintStatusChanged) and e.data.reason == "ditutup_otomatis"]
    assert len(closing) == 1
    change = closing[0].data
    assert (change.previous_status, change.status, change.actor) == ("selesai", "selesai", "sistem")
    assert change.resolution_note == "Lampu sudah diganti"
    entries = [e for e in await _timeline(api, complaint_id) if e["detail"].get("reason") == "ditutup_otomatis"]
    assert len(entries) == 1 and entries[0]["actor"] == "sistem" and entries[0]["detail"]["lapor_stage"] == "ditutup"
    assert entries[0]["type"] == "sigap.complaint.status_changed.v1"

    stage = await _stage(api, complaint_id)
    assert (stage["status"], stage["lapor_stage"], stage["lapor_stage_label"]) == ("selesai", "ditutup", "Selesai dan ditutup")

    # Once closed, the reporter's objection comes too late.
    await _reopen_by_reporter(api, complaint_id, CLOSES.replace(hour=10))
    assert await api.pool.fetchval("SELECT status FROM complaints WHERE id = $1", complaint_id) == "selesai"
    refused = [e for e in await _timeline(api, complaint_id) if e["type"] == "sigap.complaint.reopen_requested.v1"]
    assert refused[-1]["detail"]["applied"] is False and refused[-1]["detail"]["refused"] == "ReopenWindowClosed"


async def test_an_objection_inside_the_window_keeps_the_complaint_open(status_api):
    api = status_api
    complaint_id = await api.seed_complaint()
    await _finish(api, complaint_id)
    await _followed_up_at(api, complaint_id, FOLLOWED_UP)
    await _reopen_by_reporter(api, complaint_id, datetime(2026, 2, 20, 9, 0, tzinfo=WIB))
    assert await api.pool.fetchval("SELECT status FROM complaints WHERE id = $1", complaint_id) == "dibuka_kembali"

    assert await _close(api, datetime(2026, 3, 10, tzinfo=WIB)) == 0
    row = await api.pool.fetchrow("SELECT status, lapor_closed_at FROM complaints WHERE id = $1", complaint_id)
    assert row["status"] == "dibuka_kembali" and row["lapor_closed_at"] is None
    assert (await _stage(api, complaint_id))["lapor_stage"] == "tindak_lanjut"
    assert not [e for e in await _events(api, complaint_id) if getattr(e.data, "reason", None) == "ditutup_otomatis"]


async def test_tunda_and_lanjutkan_are_audited_pause_the_deadline_and_only_admins_may(status_api):
    api = status_api
    department = "DP" + uuid.uuid4().hex[:6].upper()
    complaint_id = await api.seed_complaint(department=department, supporting=["DLH"])
    admin, admin_headers = await api.staff("dept_admin", department)
    officer_name, officer = await api.staff("field_officer", department)
    await _assign(api, complaint_id, admin_headers, officer_name)
    _, auditor = await api.staff("auditor")
    _, supporting_admin = await api.staff("dept_admin", "DLH")
    _, stranger = await api.staff("dept_admin", "DP" + uuid.uuid4().hex[:6].upper())
    url = f"/v1/complaints/{complaint_id}/lapor"

    async def tunda(headers, reason="Menunggu anggaran perubahan"):
        return await api.client.post(
            f"{url}/tunda", headers=headers, json={"reason": reason, "expected_version": await api.version(complaint_id)}
        )

    for headers in (officer, auditor, supporting_admin):
        refused = await tunda(headers)
        assert refused.status_code == 403, refused.text
        assert refused.headers["content-type"].startswith("application/problem+json")
    assert (await tunda(stranger)).status_code == 404  # another department's complaint is not even seen
    assert (await tunda(admin_headers, reason="   ")).status_code == 422

    postponed = await tunda(admin_headers)
    assert postponed.status_code == 200, postponed.text
    body = postponed.json()
    assert body["lapor_stage"] == "ditunda" and body["lapor_postpone_reason"] == "Menunggu anggaran perubahan"
    assert body["sla_paused_at"] is not None and body["sla_state"] == "paused"
    again = await tunda(admin_headers)
    assert again.status_code == 409 and again.json()["type"].endswith("lapor-action-refused")
    assert (await _stage(api, complaint_id))["lapor_stage"] == "ditunda"
    postponed_queue = await api.client.get("/v1/staff/queue", headers=admin_headers)
    assert [i["lapor_stage"] for i in postponed_queue.json()["items"]] == ["ditunda"]

    resume_body = {"expected_version": await api.version(complaint_id)}
    assert (await api.client.post(f"{url}/lanjutkan", headers=officer, json=resume_body)).status_code == 403
    resumed = await api.client.post(f"{url}/lanjutkan", headers=admin_headers, json=resume_body)
    assert resumed.status_code == 200, resumed.text
    assert resumed.json()["lapor_stage"] == "verifikasi" and resumed.json()["sla_paused_at"] is None
    stale = await api.client.post(f"{url}/lanjutkan", headers=admin_headers, json=resume_body)
    assert stale.status_code == 409 and stale.json()["type"].endswith("stale-version")
    not_postponed = await api.client.post(
        f"{url}/lanjutkan", headers=admin_headers, json={"expected_version": await api.version(complaint_id)}
    )
    assert not_postponed.status_code == 409 and not_postponed.json()["type"].endswith("lapor-action-refused")

    entries = [e for e in await _timeline(api, complaint_id) if e["type"].startswith("sigap.lapor.")]
    assert [(e["type"], e["actor"]) for e in entries] == [("sigap.lapor.postponed", admin), ("sigap.lapor.resumed", admin)]
    assert entries[0]["detail"]["reason"] == "Menunggu anggaran perubahan"
    staff_view = await api.client.get(f"/v1/staff/complaints/{complaint_id}", headers=admin_headers)
    assert staff_view.json()["lapor_stage"] == "verifikasi"
    queue = await api.client.get("/v1/staff/queue", headers=admin_headers)
    assert [(i["id"], i["lapor_stage"]) for i in queue.json()["items"]] == [(str(complaint_id), "verifikasi")]
    assert {"sigap.lapor.postponed", "sigap.lapor.resumed"} <= {e["type"] for e in staff_view.json()["timeline"]}


async def test_arsipkan_rejects_as_spam_with_the_normal_event_and_only_admins_may(status_api):
    api = status_api
    complaint_id = await api.seed_complaint()
    admin, admin_headers = await api.staff("dept_admin", "DISHUB")
    officer_name, officer = await api.staff("field_officer", "DISHUB")
    await _assign(api, complaint_id, admin_headers, officer_name)
    _, auditor = await api.staff("auditor")
    url = f"/v1/complaints/{complaint_id}/lapor/arsipkan"

    async def arsipkan(headers, **body):
        return await api.client.post(
            url, headers=headers, json={"reason": "spam", "expected_version": await api.version(complaint_id), **body}
        )

    assert (await arsipkan(officer)).status_code == 403
    assert (await arsipkan(auditor)).status_code == 403
    assert (await arsipkan(admin_headers, reason="hoax")).status_code == 422
    assert (await arsipkan(admin_headers, reason="duplicate")).status_code == 422  # names no original
    assert await api.pool.fetchval("SELECT status FROM complaints WHERE id = $1", complaint_id) == "diterima"

    archived = await arsipkan(admin_headers, note="Iklan")
    assert archived.status_code == 200, archived.text
    body = archived.json()
    assert (body["status"], body["rejection_reason"], body["lapor_stage"]) == ("ditolak", "spam", "diarsipkan")
    assert body["lapor_archived_at"] is not None
    changes = [e.data for e in await _events(api, complaint_id) if isinstance(e.data, ComplaintStatusChanged)]
    assert [(c.status, c.reason, c.actor) for c in changes] == [("diterima", None, "sistem"), ("ditolak", "spam", admin)]
    types = [(e["type"], e["actor"]) for e in await _timeline(api, complaint_id)]
    assert ("sigap.complaint.status_changed.v1", admin) in types and ("sigap.lapor.archived", admin) in types
    assert (await arsipkan(admin_headers)).status_code == 409  # already rejected


async def test_the_export_holds_the_documented_mapping_for_city_admins_only(status_api):
    api = status_api
    department = "DP" + uuid.uuid4().hex[:6].upper()
    waiting = await api.seed_complaint(department=department, category="lampu_jalan")
    finished = await api.seed_complaint(department=department, category="jalan_rusak")
    await _finish(api, finished, department)
    await _followed_up_at(api, finished, FOLLOWED_UP)
    assert await _close(api, CLOSES.replace(hour=1)) == 1
    _, dept_admin = await api.staff("dept_admin", department)
    _, city = await api.staff("city_admin")

    assert (await api.client.get("/v1/lapor/export", headers=dept_admin)).status_code == 403
    assert (await api.client.get("/v1/lapor/export")).status_code == 401
    response = await api.client.get("/v1/lapor/export", headers=city, params={"department": department})
    assert response.status_code == 200, response.text
    assert response.headers["content-type"].startswith("application/x-ndjson")
    records = {r["sigap_id"]: r for r in map(orjson.loads, response.content.splitlines())}
    assert set(records) == {str(waiting), str(finished)}

    first = records[str(waiting)]
    code = await api.pool.fetchval("SELECT tracking_code FROM complaints WHERE id = $1", waiting)
    assert (first["tracking_code"], first["category"], first["department"]) == (code, "lampu_jalan", department)
    assert (first["sigap_status"], first["lapor_stage"], first["closed_at"]) == ("diterima", "verifikasi", None)
    assert first["lapor_stage_due_at"] is not None and first["mapping_version"] == 1
    done = records[str(finished)]
    assert (done["sigap_status"], done["lapor_stage"]) == ("selesai", "ditutup")
    assert datetime.fromisoformat(done["followed_up_at"]) == FOLLOWED_UP
    assert datetime.fromisoformat(done["closed_at"]) == CLOSES.replace(hour=1).astimezone(UTC)
    assert done["follow_up_note"] == "Lampu sudah diganti"
    # Nothing that names a person: status holds no identity, and staff names stay out too.
    for record in records.values():
        assert not {"reporter", "reporter_pseudonym", "assigned_officer", "actor"} & set(record)
        assert "Pelapor-UJI" not in orjson.dumps(record).decode()


async def test_the_stage_says_how_many_quiet_working_days_close_a_complaint(status_api):
    """The citizen's tracking page states this number, so it follows SIGAP_LAPOR_CLOSE_DAYS."""
    api = status_api
    complaint_id = await api.seed_complaint()
    assert (await _stage(api, complaint_id))["close_days"] == 10
    api.reconfigure(api.settings.model_copy(update={"lapor_close_days": 7}))
    await _finish(api, complaint_id)
    await _followed_up_at(api, complaint_id, FOLLOWED_UP)
    stage = await _stage(api, complaint_id)
    assert stage["close_days"] == 7
    assert datetime.fromisoformat(stage["lapor_stage_due_at"]) == _lapor(api).closes_at(FOLLOWED_UP) < CLOSES
