"""Personal data under UU 27/2022 through intake as the service runs it, on real PostgreSQL and
a real photo folder: data-subject requests proven by tracking code + token (or verified by
staff), answered by the data protection officer within 72 hours with every step in the audit
log; and the retention job erasing everything identifying while the complaint stays."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from sigap_intake.events import handlers
from sigap_intake.settings import DEVELOPMENT_INTERNAL_TOKEN
from sigap_shared.events import ComplaintRouted, ComplaintStatusChanged, Envelope
from tests.integration.intake.conftest import running_intake
from tests.support.personal_data import places_holding
from tests.unit.intake.images import camera_photo

pytestmark = pytest.mark.integration

AUTH = {"Authorization": f"Bearer {DEVELOPMENT_INTERNAL_TOKEN}"}
DEPOK = (-6.3925, 106.8226)
NAME, PHONE, EMAIL = "Sari Wulandari", "0812-7788-9900", "sari.wulandari@example.com"


@pytest.fixture
async def intake(infra, databases, tmp_path):
    # Retention 0 days: a complaint is due for erasure as soon as it is closed; the scheduled
    # run is slowed down so that the tests decide when the job runs.
    async with running_intake(
        infra, databases, tmp_path / "photos", personal_data_retention_days=0, personal_data_retention_every_s=3600
    ) as under_test:
        yield under_test


async def _photo(intake) -> str:
    token = (await intake.client.post("/v1/capture-sessions")).json()["capture_token"]
    data = camera_photo(uuid.uuid4().int % 10**9, taken_at=datetime.now(UTC), gps=DEPOK)
    response = await intake.client.post(
        "/v1/photos", data={"capture_token": token}, files={"file": ("IMG_0001.jpg", data, "application/octet-stream")}
    )
    assert response.status_code == 201, response.text
    return response.json()["id"]


async def _submit(intake, *, privacy: str = "rahasia") -> dict:
    body = {
        "description": "Saluran air tersumbat di Jl. Margonda dekat gang Kober, air meluap ke jalan",
        "category": "drainase",
        "location": {"lat": DEPOK[0], "lon": DEPOK[1], "address": "Jl. Margonda Raya, Kober"},
        "privacy": privacy,
        "reporter": {"name": NAME, "phone": PHONE, "email": EMAIL},
        "photos": [await _photo(intake)],
    }
    response = await intake.client.post("/v1/complaints", json=body)
    assert response.status_code == 201, response.text
    return response.json()


async def _close(intake, receipt: dict) -> None:
    complaint_id, code, now = uuid.UUID(receipt["id"]), receipt["tracking_code"], datetime.now(UTC)
    routed = ComplaintRouted(
        complaint_id=complaint_id, tracking_code=code, department="PUPR", confidence=0.9, needs_triage=False,
        routed_at=now - timedelta(hours=2),
    )  # fmt: skip
    async with intake.pool.acquire() as conn, conn.transaction():
        await handlers.on_complaints_routed(conn=conn, envelopes=[Envelope(source="sigap/test", data=routed)])
    for offset, (previous, status) in enumerate([(None, "diterima"), ("diterima", "dalam_proses"), ("dalam_proses", "selesai")]):
        changed = ComplaintStatusChanged(
            complaint_id=complaint_id, tracking_code=code, department="PUPR", previous_status=previous,
            status=status, actor="officer:1", resolution_note="Saluran sudah dibersihkan" if status == "selesai" else None,
            changed_at=now - timedelta(hours=1) + timedelta(minutes=offset),
        )  # fmt: skip
        async with intake.pool.acquire() as conn, conn.transaction():
            await handlers.on_status_changes(conn=conn, envelopes=[Envelope(source="sigap/test", data=changed)])


async def _ask(intake, receipt: dict, kind: str, details: str | None = None):
    body = {"kind": kind} | ({"details": details} if details else {})
    return await intake.client.post(
        f"/v1/track/{receipt['tracking_code']}/privacy-requests",
        json=body,
        headers={"X-Follow-Up-Token": receipt["follow_up_token"]},
    )


async def _answer(intake, request_id: str, *, role: str = "dpo", decision: str = "answered", reason: str, **extra):
    return await intake.client.post(
        f"/internal/v1/privacy/requests/{request_id}/answer",
        json={"actor": "dpo.depok", "actor_role": role, "decision": decision, "reason": reason} | extra,
        headers=AUTH,
    )


async def _audit(intake, receipt: dict) -> list[dict]:
    response = await intake.client.get("/internal/v1/privacy/audit", params={"complaint_id": receipt["id"]}, headers=AUTH)
    assert response.status_code == 200, response.text
    return response.json()


def _originals(photo_dir: Path) -> list[Path]:
    return [path for path in (photo_dir / "originals").rglob("*") if path.is_file()] if (photo_dir / "originals").exists() else []


async def test_an_access_request_is_answered_by_the_dpo_with_a_complete_export_and_audited(intake):
    receipt = await _submit(intake)
    asked = await _ask(intake, receipt, "access")
    assert asked.status_code == 201, asked.text
    request = asked.json()
    due = datetime.fromisoformat(request["due_at"])
    assert timedelta(hours=71, minutes=59) < due - datetime.now(UTC) <= timedelta(hours=72)

    # It is in the officer's queue, with its deadline.
    queue = (await intake.client.get("/internal/v1/privacy/requests", headers=AUTH)).json()
    queued = next(entry for entry in queue if entry["id"] == request["request_id"])
    assert queued["state"] == "open" and not queued["overdue"] and queued["proof"] == "follow_up_token"

    # Only the data protection officer answers; another role's attempt is refused and logged.
    refused = await _answer(intake, request["request_id"], role="city_admin", reason="Data terlampir.")
    assert refused.status_code == 403 and refused.headers["content-type"].startswith("application/problem+json")
    answered = await _answer(intake, request["request_id"], reason="Seluruh data Anda terlampir dalam ekspor.")
    assert answered.status_code == 200, answered.text
    assert answered.json()["state"] == "answered"

    # The reporter reads the answer with their code and token: everything intake holds.
    mine = await intake.client.get(
        f"/v1/track/{receipt['tracking_code']}/privacy-requests", headers={"X-Follow-Up-Token": receipt["follow_up_token"]}
    )
    assert mine.status_code == 200, mine.text
    assert mine.headers["cache-control"] == "no-store"
    export = mine.json()[0]["export"]
    assert export["format"] == "sigap-personal-data-export/1"
    assert export["identity"] == {"name": NAME, "phone": PHONE, "email": EMAIL}
    assert export["reporter_pseudonym"]
    assert export["complaint"]["tracking_code"] == receipt["tracking_code"]
    assert export["complaint"]["description"].startswith("Saluran air tersumbat")
    assert export["complaint"]["location"] == {"lat": DEPOK[0], "lon": DEPOK[1]}
    [photo] = export["photos"]
    assert photo["gps"] == {"lat": pytest.approx(DEPOK[0], abs=1e-4), "lon": pytest.approx(DEPOK[1], abs=1e-4)}
    assert photo["camera_make"] and photo["original_kept"] is True
    assert [entry["kind"] for entry in export["personal_data_requests"]] == ["access"]
    assert export["status"] == {"not_configured": True} and export["notify"] == {"not_configured": True}

    # A wrong token sees nothing.
    wrong = await intake.client.get(
        f"/v1/track/{receipt['tracking_code']}/privacy-requests", headers={"X-Follow-Up-Token": "salah"}
    )
    assert wrong.status_code == 404 and NAME not in wrong.text

    # Listing the requests without their exports delivers nothing, so it is not audited.
    listed = await intake.client.get(
        f"/v1/track/{receipt['tracking_code']}/privacy-requests",
        params={"exports": "false"},
        headers={"X-Follow-Up-Token": receipt["follow_up_token"]},
    )
    assert listed.status_code == 200, listed.text
    [only] = listed.json()
    assert only["has_export"] is True and only["export"] is None and NAME not in listed.text
    # Staff: the queue and a plain read carry no export; only the dpo takes it, and that is audited.
    staff_path = f"/internal/v1/privacy/requests/{request['request_id']}"
    queue = await intake.client.get("/internal/v1/privacy/requests", params={"state": "answered"}, headers=AUTH)
    assert queue.status_code == 200 and NAME not in queue.text
    read = await intake.client.get(staff_path, headers=AUTH)
    assert read.json()["has_export"] is True and read.json()["export"] is None
    not_dpo = await intake.client.get(
        staff_path, params={"export_to": "kota.admin", "export_role": "city_admin"}, headers=AUTH
    )
    assert not_dpo.status_code == 403 and NAME not in not_dpo.text
    assert not_dpo.headers["content-type"].startswith("application/problem+json")
    taken = await intake.client.get(staff_path, params={"export_to": "dpo.kota", "export_role": "dpo"}, headers=AUTH)
    assert taken.status_code == 200 and taken.json()["export"]["identity"]["name"] == NAME

    actions = [(entry["action"], entry["actor_role"]) for entry in await _audit(intake, receipt)]
    assert actions == [
        ("request_received:access", "reporter"),
        ("answer_refused_role", "city_admin"),
        ("export_prepared", "dpo"),
        ("request_answered", "dpo"),
        ("export_delivered", "reporter"),
        ("export_delivered", "dpo"),
    ]
    # The audit is append-only.
    with pytest.raises(Exception, match="append-only"):
        await intake.pool.execute("DELETE FROM privacy_audit WHERE complaint_id = $1", uuid.UUID(receipt["id"]))

    # Answered once only.
    again = await _answer(intake, request["request_id"], reason="Dijawab lagi.")
    assert again.status_code == 409


async def test_a_refusal_states_its_reason_and_a_staff_verified_request_is_recorded(intake):
    receipt = await _submit(intake)
    recorded = await intake.client.post(
        "/internal/v1/privacy/requests",
        json={"tracking_code": receipt["tracking_code"], "kind": "deletion", "details": "Surat tertanggal 1 Desember",
              "actor": "admin.kota", "actor_role": "city_admin"},
        headers=AUTH,
    )  # fmt: skip
    assert recorded.status_code == 201, recorded.text
    request = recorded.json()
    assert request["proof"] == "staff_verified" and request["verified_by"] == "admin.kota"
    assert request["details"] == "Surat tertanggal 1 Desember"
    # Whatever the requester wrote is sealed, never plaintext in the database.
    stored = await intake.pool.fetchval("SELECT details_sealed FROM data_subject_requests WHERE id = $1", uuid.UUID(request["id"]))
    assert b"Desember" not in bytes(stored)

    field_officer = await intake.client.post(
        "/internal/v1/privacy/requests",
        json={"tracking_code": receipt["tracking_code"], "kind": "access", "actor": "petugas", "actor_role": "field_officer"},
        headers=AUTH,
    )
    assert field_officer.status_code == 403

    no_reason = await _answer(intake, request["id"], decision="refused", reason="Tidak")
    assert no_reason.status_code == 422
    refused = await _answer(
        intake, request["id"], decision="refused",
        reason="Laporan masih diproses dan menjadi bukti penanganan (Pasal 15 UU PDP).",
    )  # fmt: skip
    assert refused.status_code == 200 and refused.json()["state"] == "refused"
    # Refused: nothing was erased.
    assert await intake.pool.fetchval("SELECT reporter_identity IS NOT NULL FROM complaints WHERE id = $1", uuid.UUID(receipt["id"]))
    actions = [entry["action"] for entry in await _audit(intake, receipt)]
    assert actions == ["request_received:deletion", "request_refused"]


async def test_restriction_stops_contact_and_correction_reseals_the_identity(intake):
    receipt = await _submit(intake)
    pseudonym = await intake.pool.fetchval("SELECT reporter_pseudonym FROM complaints WHERE id = $1", uuid.UUID(receipt["id"]))
    resolve = {"pseudonym": pseudonym, "channel": "email"}

    correction = (await _ask(intake, receipt, "correction", "Email saya yang benar sari.w@example.org")).json()
    missing = await _answer(intake, correction["request_id"], reason="Diperbaiki.")
    assert missing.status_code == 422
    fixed = await _answer(
        intake, correction["request_id"], reason="Email diperbaiki.", corrected_identity={"email": "sari.w@example.org"}
    )
    assert fixed.status_code == 200, fixed.text
    contact = await intake.client.post("/internal/v1/reporter-contacts/resolve", json=resolve, headers=AUTH)
    assert contact.json()["address"] == "sari.w@example.org"

    restriction = (await _ask(intake, receipt, "restriction")).json()
    assert (await _answer(intake, restriction["request_id"], reason="Pemrosesan dibatasi.")).status_code == 200
    contact = await intake.client.post("/internal/v1/reporter-contacts/resolve", json=resolve, headers=AUTH)
    assert contact.status_code == 404


async def _identifying_values(intake, pseudonym: str, complaint_id: str) -> list[str]:
    """Every cell of intake's database (text, JSON, arrays; bytes such as the outbox's events)
    that still contains one of the reporter's identifying values in plaintext, and the sealed
    columns that are not empty yet."""
    found = [
        f"{row['table']}.{row['column']}"
        for row in await intake.pool.fetch(
            "SELECT 'complaints' AS table, 'reporter_identity' AS column FROM complaints"
            " WHERE id = $1 AND reporter_identity IS NOT NULL"
            " UNION ALL SELECT 'data_subject_requests', 'details_sealed' FROM data_subject_requests"
            " WHERE complaint_id = $1 AND (details_sealed IS NOT NULL OR export_sealed IS NOT NULL)",
            uuid.UUID(complaint_id),
        )
    ]
    async with intake.pool.acquire() as conn:
        found += await places_holding(conn, [NAME, EMAIL, PHONE, "81277889900", pseudonym])
    return found


async def test_retention_erases_everything_identifying_once_and_keeps_the_complaint(intake, tmp_path):
    photo_dir = tmp_path / "photos"
    closed, still_open = await _submit(intake, privacy="publik"), await _submit(intake)
    await _close(intake, closed)
    pseudonym = await intake.pool.fetchval("SELECT reporter_pseudonym FROM complaints WHERE id = $1", uuid.UUID(closed["id"]))
    # The scan can fail: before the run it finds the pseudonym, also in the submission event.
    before_run = await _identifying_values(intake, pseudonym, closed["id"])
    assert {f"complaints.reporter_pseudonym: {pseudonym}", f"outbox.payload: {pseudonym}"} <= set(before_run)
    before = _originals(photo_dir)
    assert len(before) == 2

    run = await intake.client.post("/internal/v1/privacy/retention/run", headers=AUTH)
    assert run.status_code == 200 and run.json()["erased"] == 1
    again = await intake.client.post("/internal/v1/privacy/retention/run", headers=AUTH)
    assert again.json()["erased"] == 0

    # Nothing identifying about the closed complaint's reporter is left: no database cell, no
    # original photo file; the still-open complaint keeps its own.
    assert await _identifying_values(intake, pseudonym, closed["id"]) == []
    erased = await intake.pool.fetchrow("SELECT * FROM complaints WHERE id = $1", uuid.UUID(closed["id"]))
    assert erased["reporter_identity"] is None and erased["reporter_pseudonym"] is None
    assert erased["personal_data_erased_at"] is not None
    photo = await intake.pool.fetchrow("SELECT * FROM photos WHERE complaint_id = $1", uuid.UUID(closed["id"]))
    assert photo["original_key"] is None and photo["gps_lat"] is None and photo["camera_make"] is None
    assert photo["taken_at"] is None and photo["public_key"] is not None
    after = _originals(photo_dir)
    assert len(after) == 1 and after[0] in before
    kept = await intake.pool.fetchrow("SELECT * FROM complaints WHERE id = $1", uuid.UUID(still_open["id"]))
    assert kept["reporter_identity"] is not None and kept["personal_data_erased_at"] is None

    # The complaint and its public record stay: trackable, its photo served without metadata.
    tracked = await intake.client.get(f"/v1/track/{closed['tracking_code']}")
    assert tracked.status_code == 200 and tracked.json()["status"] == "selesai"
    public_photo = await intake.client.get(f"/v1/photos/{photo['id']}/public")
    assert public_photo.status_code == 200 and public_photo.content[:2] == b"\xff\xd8"

    # The contact lookup finds nobody; one audit entry for the erasure.
    contact = await intake.client.post(
        "/internal/v1/reporter-contacts/resolve", json={"pseudonym": pseudonym, "channel": "email"}, headers=AUTH
    )
    assert contact.status_code == 404
    audit = await _audit(intake, closed)
    assert [(entry["action"], entry["actor"]) for entry in audit] == [("personal_data_erased", "retention")]


async def test_a_granted_deletion_request_erases_at_once_and_leaves_no_identifying_value(intake, tmp_path):
    receipt = await _submit(intake)
    pseudonym = await intake.pool.fetchval("SELECT reporter_pseudonym FROM complaints WHERE id = $1", uuid.UUID(receipt["id"]))
    request = (await _ask(intake, receipt, "deletion", f"Hapus data saya, {NAME}")).json()
    answered = await _answer(intake, request["request_id"], reason="Data pribadi Anda telah dihapus.")
    assert answered.status_code == 200, answered.text
    assert await _identifying_values(intake, pseudonym, receipt["id"]) == []
    assert _originals(tmp_path / "photos") == []
    actions = [entry["action"] for entry in await _audit(intake, receipt)]
    assert actions == ["request_received:deletion", "personal_data_erased", "request_answered"]
    # The reporter can still follow the complaint and read the answer.
    mine = await intake.client.get(
        f"/v1/track/{receipt['tracking_code']}/privacy-requests", headers={"X-Follow-Up-Token": receipt["follow_up_token"]}
    )
    assert mine.json()[0]["state"] == "answered"
