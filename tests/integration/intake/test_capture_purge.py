"""The purge of capture leftovers: capture sessions never used go once their window is long
over, and a rejected upload nobody attached loses its stored file; nothing else is touched,
a second pass finds nothing, and only one replica purges at a time."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta

import pytest

from sigap_intake.capture.purge import PURGE_LOCK_KEY, PurgePolicy, Purged, purge_once
from tests.integration.intake.conftest import running_intake
from tests.support.governance import DEPOK, complaint_body, fresh_photo, upload_photo

pytestmark = pytest.mark.integration


async def _session(intake) -> dict:
    response = await intake.client.post("/v1/capture-sessions")
    assert response.status_code == 201, response.text
    return response.json()


def _complaint(photos: list[str]) -> dict:
    return complaint_body("Pohon tumbang menutup separuh jalan di Jl. Raya Sawangan", "pohon_tumbang", photos=photos)


async def _original(intake, photo_id: str):
    row = await intake.pool.fetchrow(
        "SELECT original_key, original_purged_at FROM photos WHERE id = $1", uuid.UUID(photo_id)
    )
    return intake.context.settings.photo_dir / row["original_key"], row["original_purged_at"]


async def test_only_unused_sessions_and_unattached_rejected_uploads_are_purged(infra, databases, tmp_path):
    async with running_intake(
        infra, databases, tmp_path / "photos", photo_reject_reasons={"*": ["reused_photo", "old_photo"]}
    ) as intake:
        unused = await _session(intake)
        fresh = fresh_photo(gps=DEPOK)
        attached = await upload_photo(intake.client, fresh)
        submitted = await intake.client.post("/v1/complaints", json=_complaint([attached["id"]]))
        assert submitted.status_code == 201, submitted.text
        # The same bytes again: a reuse, rejected, but its file is the attached photo's too.
        copy = await upload_photo(intake.client, fresh)
        old = await upload_photo(intake.client, fresh_photo(ago=timedelta(days=30)))
        unattached_live = await upload_photo(intake.client, fresh_photo())
        assert copy["verdict"] == old["verdict"] == "rejected"
        assert unattached_live["verdict"] == "verified_live"
        sessions_before = await intake.pool.fetchval("SELECT count(*) FROM capture_sessions")
        policy = PurgePolicy(unused_session_grace=timedelta(hours=1), rejected_keep=timedelta(days=1))

        async with intake.pool.acquire() as conn:
            # Within their windows, nothing goes.
            assert await purge_once(conn=conn, store=intake.context.photo_store, policy=policy) == Purged()
            later = datetime.now(UTC) + timedelta(days=2)
            purged = await purge_once(conn=conn, store=intake.context.photo_store, policy=policy, now=later)
            assert purged == Purged(sessions=1, rejected_photos=2, files=1)
            # Idempotent: a second pass finds nothing left.
            assert await purge_once(conn=conn, store=intake.context.photo_store, policy=policy, now=later) == Purged()

        assert await intake.pool.fetchval("SELECT count(*) FROM capture_sessions") == sessions_before - 1
        assert not await intake.pool.fetchval(
            "SELECT EXISTS (SELECT 1 FROM capture_sessions WHERE id = $1)", uuid.UUID(unused["session_id"])
        )
        old_file, old_purged = await _original(intake, old["id"])
        assert not old_file.exists() and old_purged is not None
        copy_file, copy_purged = await _original(intake, copy["id"])
        attached_file, attached_purged = await _original(intake, attached["id"])
        assert copy_purged is not None and attached_purged is None
        assert copy_file == attached_file and attached_file.exists()
        live_file, live_purged = await _original(intake, unattached_live["id"])
        assert live_file.exists() and live_purged is None
        # The rows stay (a later copy is still recognised), but a purged upload cannot be attached.
        assert await intake.pool.fetchval("SELECT count(*) FROM photo_hashes WHERE photo_id = $1", uuid.UUID(old["id"])) == 1
        refused = await intake.client.post("/v1/complaints", json=_complaint([old["id"]]))
        assert refused.status_code == 422 and "tidak ditemukan" in refused.json()["detail"]
        # The attached photo is still served to staff from its original.
        staff_photo = await intake.client.get(
            f"/internal/v1/complaints/{submitted.json()['id']}/photos/{attached['id']}",
            headers={"Authorization": f"Bearer {intake.context.settings.internal_token.get_secret_value()}"},
        )
        assert staff_photo.status_code == 200 and staff_photo.headers["content-type"] == "image/jpeg"


async def test_one_replica_purges_at_a_time_and_sessions_in_use_are_skipped(intake):
    policy = PurgePolicy(unused_session_grace=timedelta(0), rejected_keep=timedelta(0))
    held, free = await _session(intake), await _session(intake)
    later = datetime.now(UTC) + timedelta(hours=1)
    async with intake.pool.acquire() as other_replica, intake.pool.acquire() as conn:
        await other_replica.execute("SELECT pg_advisory_lock($1)", PURGE_LOCK_KEY)
        try:
            assert await purge_once(conn=conn, store=intake.context.photo_store, policy=policy, now=later) == Purged()
        finally:
            await other_replica.execute("SELECT pg_advisory_unlock($1)", PURGE_LOCK_KEY)
        # An upload holding its session (FOR UPDATE) is not waited for: that session is skipped.
        async with other_replica.transaction():
            await other_replica.execute(
                "SELECT 1 FROM capture_sessions WHERE id = $1 FOR UPDATE", uuid.UUID(held["session_id"])
            )
            purged = await purge_once(conn=conn, store=intake.context.photo_store, policy=policy, now=later)
        assert purged.sessions >= 1
    remaining = {
        str(row["id"])
        for row in await intake.pool.fetch(
            "SELECT id FROM capture_sessions WHERE id = ANY($1::uuid[])", [held["session_id"], free["session_id"]]
        )
    }
    assert remaining == {held["session_id"]}
