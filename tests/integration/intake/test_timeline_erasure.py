"""An erasure of the reporter's personal data (a granted deletion request, or retention) blanks
the free-text notes of intake's tracking timeline and the resolution note: what the reporter
wrote after submitting (added information, a reopen's reason) and what staff wrote for them
may name or quote the reporter. The entries stay, so the complaint is still trackable, and
a note that is a code from a fixed list (a rejection's reason, the auto-close) stays too."""

from __future__ import annotations

import asyncio
import uuid
from datetime import UTC, datetime, timedelta

import pytest

from sigap_intake.events import handlers
from sigap_intake.follow_up.rules import AUTO_CLOSE_NOTE
from sigap_intake.privacy import repository as privacy_repository
from sigap_intake.settings import DEVELOPMENT_INTERNAL_TOKEN
from sigap_shared.events import AUTO_CLOSE_REASON, ComplaintRouted, ComplaintStatusChanged, Envelope
from tests.integration.intake.conftest import running_intake
from tests.support.personal_data import places_holding

pytestmark = pytest.mark.integration

AUTH = {"Authorization": f"Bearer {DEVELOPMENT_INTERNAL_TOKEN}"}
NAME, PHONE = "Rini Kusumawati", "0813-5566-2211"


@pytest.fixture
async def intake(infra, databases, tmp_path):
    async with running_intake(infra, databases, tmp_path / "photos", personal_data_retention_every_s=3600) as running:
        yield running


async def _submit(intake) -> dict:
    body = {
        "description": "Lampu jalan mati di Jl. Nusantara dekat pos ronda, gelap sekali malam hari",
        "category": "lampu_jalan",
        "location": {"lat": -6.3925, "lon": 106.8226, "address": "Jl. Nusantara, Depok Jaya"},
        "privacy": "rahasia",
        "reporter": {"name": NAME, "phone": PHONE, "email": "rini.k@example.com"},
    }
    response = await intake.client.post("/v1/complaints", json=body)
    assert response.status_code == 201, response.text
    return response.json()


async def _announce(intake, receipt: dict, *changes: dict) -> None:
    """Routing's and status's announcements, in order, a minute apart, as intake's consumer gets them."""
    complaint_id, code = uuid.UUID(receipt["id"]), receipt["tracking_code"]
    start = datetime.now(UTC) - timedelta(hours=1)
    routed = ComplaintRouted(
        complaint_id=complaint_id, tracking_code=code, department="DISHUB", confidence=0.9, needs_triage=False,
        routed_at=start,
    )  # fmt: skip
    async with intake.pool.acquire() as conn, conn.transaction():
        await handlers.on_complaints_routed(conn=conn, envelopes=[Envelope(source="sigap/test", data=routed)])
    previous = None
    for minute, change in enumerate(changes, start=1):
        changed = ComplaintStatusChanged(
            complaint_id=complaint_id, tracking_code=code, department="DISHUB", previous_status=previous,
            changed_at=start + timedelta(minutes=minute), **{"actor": "officer:1"} | change,
        )  # fmt: skip
        previous = change["status"]
        async with intake.pool.acquire() as conn, conn.transaction():
            await handlers.on_status_changes(conn=conn, envelopes=[Envelope(source="sigap/test", data=changed)])


async def _erase_by_deletion_request(intake, receipt: dict) -> None:
    asked = await intake.client.post(
        f"/v1/track/{receipt['tracking_code']}/privacy-requests",
        json={"kind": "deletion"},
        headers={"X-Follow-Up-Token": receipt["follow_up_token"]},
    )
    assert asked.status_code == 201, asked.text
    answered = await intake.client.post(
        f"/internal/v1/privacy/requests/{asked.json()['request_id']}/answer",
        json={"actor": "dpo.depok", "actor_role": "dpo", "decision": "answered", "reason": "Data Anda telah dihapus."},
        headers=AUTH,
    )
    assert answered.status_code == 200, answered.text


async def _notes(intake, receipt: dict) -> list[tuple[str | None, str | None]]:
    rows = await intake.pool.fetch(
        "SELECT status, note FROM tracking_timeline WHERE complaint_id = $1 ORDER BY occurred_at, event_id",
        uuid.UUID(receipt["id"]),
    )
    return [(row["status"], row["note"]) for row in rows]


async def test_an_erasure_blanks_the_notes_to_and_from_the_reporter_and_keeps_the_timeline(intake):
    receipt = await _submit(intake)
    added = await intake.client.post(
        f"/v1/track/{receipt['tracking_code']}/information",
        json={"text": f"Saya {NAME}, bisa dihubungi di {PHONE} kalau petugas perlu diantar ke lokasi."},
        headers={"X-Follow-Up-Token": receipt["follow_up_token"]},
    )
    assert added.status_code == 201, added.text
    await _announce(
        intake,
        receipt,
        {"status": "diterima"},
        {"status": "dalam_proses", "reason": f"Petugas sudah menelepon Ibu {NAME} untuk menanyakan lokasi."},
        {"status": "selesai", "resolution_note": f"Lampu sudah diganti. Terima kasih Ibu {NAME}."},
        {"status": "dibuka_kembali", "actor": "pelapor", "reason": f"Lampu mati lagi. Hubungi saya di {PHONE}."},
        {"status": "selesai", "resolution_note": f"Kabel diperbaiki, sudah dikonfirmasi ke Ibu {NAME}."},
        {"status": "selesai", "reason": AUTO_CLOSE_REASON, "actor": "sistem"},
    )
    before = await _notes(intake, receipt)
    async with intake.pool.acquire() as conn:
        found = set(await places_holding(conn, [NAME, PHONE]))
    # The scan can fail: before the erasure the notes name the reporter.
    assert {f"tracking_timeline.note: {NAME}", f"tracking_timeline.note: {PHONE}",
            f"complaints.resolution_note: {NAME}"} <= found  # fmt: skip

    await _erase_by_deletion_request(intake, receipt)

    async with intake.pool.acquire() as conn:
        left = await places_holding(conn, [NAME, PHONE])
    # Only the added information's event, still in the outbox until it is purged, holds them.
    assert [place for place in left if not place.startswith("outbox.payload")] == []
    after = await _notes(intake, receipt)
    assert [status for status, _ in after] == [status for status, _ in before]  # every entry stays
    assert [note for _, note in after if note is not None] == [AUTO_CLOSE_NOTE]
    tracked = await intake.client.get(
        f"/v1/track/{receipt['tracking_code']}", headers={"X-Follow-Up-Token": receipt["follow_up_token"]}
    )
    assert tracked.status_code == 200, tracked.text
    assert tracked.json()["status"] == "selesai" and tracked.json()["department"] == "DISHUB"
    assert tracked.json()["resolution_note"] is None
    assert len(tracked.json()["timeline"]) == len(before)


async def test_a_rejection_reason_is_a_code_and_stays(intake):
    receipt = await _submit(intake)
    await _announce(intake, receipt, {"status": "diterima"}, {"status": "ditolak", "reason": "duplicate"})

    await _erase_by_deletion_request(intake, receipt)

    assert await _notes(intake, receipt) == [(None, None), ("diterima", None), ("ditolak", "duplicate")]


async def test_a_note_written_before_the_erasure_and_announced_after_it_is_not_stored(intake):
    """The erasure may overtake status's announcement on Kafka: a note written before it is
    erased as if it had been there; one written after it (the complaint goes on) is kept."""
    receipt = await _submit(intake)
    await _announce(intake, receipt, {"status": "diterima"})
    await _erase_by_deletion_request(intake, receipt)
    erased_at = await intake.pool.fetchval(
        "SELECT personal_data_erased_at FROM complaints WHERE id = $1", uuid.UUID(receipt["id"])
    )
    complaint_id, code = uuid.UUID(receipt["id"]), receipt["tracking_code"]
    late = ComplaintStatusChanged(
        complaint_id=complaint_id, tracking_code=code, department="DISHUB", previous_status="diterima",
        status="selesai", actor="officer:1", resolution_note=f"Sudah diperbaiki, terima kasih Ibu {NAME}.",
        changed_at=erased_at - timedelta(seconds=1),
    )  # fmt: skip
    later = ComplaintStatusChanged(
        complaint_id=complaint_id, tracking_code=code, department="DISHUB", previous_status="selesai",
        status="dibuka_kembali", actor="admin.kota", reason="Dibuka kembali untuk pemeriksaan ulang lokasi.",
        changed_at=erased_at + timedelta(seconds=1),
    )  # fmt: skip
    for changed in (late, later):
        async with intake.pool.acquire() as conn, conn.transaction():
            await handlers.on_status_changes(conn=conn, envelopes=[Envelope(source="sigap/test", data=changed)])

    assert (await _notes(intake, receipt))[-2:] == [
        ("selesai", None),
        ("dibuka_kembali", "Dibuka kembali untuk pemeriksaan ulang lokasi."),
    ]
    row = await intake.pool.fetchrow("SELECT status, resolution_note FROM complaints WHERE id = $1", complaint_id)
    assert (row["status"], row["resolution_note"]) == ("dibuka_kembali", None)
    async with intake.pool.acquire() as conn:
        assert await places_holding(conn, [NAME]) == []


async def test_a_change_recorded_while_the_erasure_commits_does_not_keep_its_note(intake):
    """The erasure's transaction has blanked the notes but not committed when intake's consumer
    records a change written before it. The consumer waits for the erasure (the lock per
    complaint), then sees it and stores the change without its note. Without the lock it would
    insert the note under the old snapshot and only then wait for the complaint's row, and the
    erasure, blind to the uncommitted entry, would leave the note behind."""
    receipt = await _submit(intake)
    await _announce(intake, receipt, {"status": "diterima"})
    complaint_id, code = uuid.UUID(receipt["id"]), receipt["tracking_code"]
    written = datetime.now(UTC)
    changed = ComplaintStatusChanged(
        complaint_id=complaint_id, tracking_code=code, department="DISHUB", previous_status="diterima",
        status="dalam_proses", actor="officer:1", reason=f"Sudah menelepon Ibu {NAME} di {PHONE}.",
        changed_at=written,
    )  # fmt: skip

    async def record(conn) -> None:
        async with conn.transaction():
            await handlers.on_status_changes(conn=conn, envelopes=[Envelope(source="sigap/test", data=changed)])

    async with intake.pool.acquire() as eraser, intake.pool.acquire() as consumer:
        erasing = eraser.transaction()
        await erasing.start()
        try:
            erased = await privacy_repository.erase_complaint_personal_data(
                conn=eraser, complaint_id=complaint_id, at=written + timedelta(milliseconds=1)
            )
            assert erased
            recording = asyncio.create_task(record(consumer))
            # A positive signal: the consumer's backend waits for a lock held by the erasure.
            for _ in range(200):
                waiting = await intake.pool.fetchval(
                    "SELECT wait_event_type = 'Lock' FROM pg_stat_activity WHERE pid = $1",
                    consumer.get_server_pid(),
                )
                if waiting or recording.done():
                    break
                await asyncio.sleep(0.02)
            assert waiting, "the consumer did not wait for the erasure"
        finally:
            await erasing.commit()
        await recording

    assert (await _notes(intake, receipt))[-1] == ("dalam_proses", None)
    async with intake.pool.acquire() as conn:
        assert await places_holding(conn, [NAME, PHONE]) == []
