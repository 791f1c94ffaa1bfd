"""SIGAP_PHOTO_REUSE_VIEWS: the multi-view reuse check is opt-in. On, a mirrored copy of an
earlier photo is recognised; off, uploads get today's single-hash lookup and verdicts, and no
view hashes or features are stored. The features (which hold a small thumbnail) go when the
complaint's personal data is erased (real PostgreSQL, real image files)."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime

import pytest
from PIL import ImageOps

from sigap_intake.privacy import repository as privacy_repository
from sigap_intake.settings import DEVELOPMENT_INTERNAL_TOKEN
from tests.integration.intake.conftest import complaint_with_photos, photo_seed, running_intake, upload_photo
from tests.unit.intake.images import jpeg, textured_scene

pytestmark = pytest.mark.integration

AUTH = {"Authorization": f"Bearer {DEVELOPMENT_INTERNAL_TOKEN}"}


def _reuse_codes(photo: dict) -> list[str]:
    return [reason["code"] for reason in photo["reasons"] if reason["code"] in ("reused_photo", "similar_photo")]


async def _stored_views(intake, photo_id: str) -> tuple[int, int]:
    photo = uuid.UUID(photo_id)
    views = await intake.pool.fetchval("SELECT count(*) FROM photo_view_hashes WHERE photo_id = $1", photo)
    features = await intake.pool.fetchval("SELECT count(*) FROM photo_features WHERE photo_id = $1", photo)
    return views, features


async def test_with_the_views_on_a_mirrored_copy_is_recognised(infra, databases, tmp_path):
    async with running_intake(infra, databases, tmp_path / "p", photo_reuse_views=True) as intake:
        original = textured_scene(photo_seed())
        first = (await upload_photo(intake, jpeg(original))).json()
        assert _reuse_codes(first) == [], first
        views, features = await _stored_views(intake, first["id"])
        assert views > 1 and features == 1

        mirrored = (await upload_photo(intake, jpeg(ImageOps.mirror(original), quality=75))).json()
        assert mirrored["verdict"] == "rejected", mirrored  # reused_photo rejects by default
        [reused] = [reason for reason in mirrored["reasons"] if reason["code"] == "reused_photo"]
        assert reused["earlier_photo_id"] == first["id"]
        assert reused["match"]["strength"] == "strong" and reused["match"]["mirrored"] is True


async def test_with_the_views_off_uploads_behave_as_before(infra, databases, tmp_path):
    # Flagging only, so the exact copy can be attached and its match read back through the staff list.
    async with running_intake(infra, databases, tmp_path / "p", photo_reject_reasons={"*": []}) as intake:
        assert intake.context.policy.reuse_views is False
        original = textured_scene(photo_seed())
        first = (await upload_photo(intake, jpeg(original))).json()
        earlier = (await intake.client.post("/v1/complaints", json=complaint_with_photos([first["id"]]))).json()["id"]
        assert await _stored_views(intake, first["id"]) == (0, 0)

        # Today's single hash does not see a mirror...
        mirrored = (await upload_photo(intake, jpeg(ImageOps.mirror(original), quality=75))).json()
        assert _reuse_codes(mirrored) == [], mirrored
        # ...but does see a recompressed copy, with today's reason and details.
        copy = (await upload_photo(intake, jpeg(original, quality=70))).json()
        assert copy["verdict"] == "suspicious", copy  # flagged, not rejected, under this policy
        [reused] = [reason for reason in copy["reasons"] if reason["code"] == "reused_photo"]
        assert reused["earlier_photo_id"] == first["id"] and reused["earlier_complaint_id"] == earlier
        assert "match" not in reused and isinstance(reused["distance"], int)
        assert await _stored_views(intake, copy["id"]) == (0, 0)

        # Staff still see which earlier photo it matches and that only the perceptual hash was checked.
        later = (await intake.client.post("/v1/complaints", json=complaint_with_photos([copy["id"]]))).json()["id"]
        listed = await intake.client.get(f"/internal/v1/complaints/{later}/photos", headers=AUTH)
        assert listed.status_code == 200, listed.text
        [photo] = listed.json()["photos"]
        [match] = photo["matches"]
        assert match["earlier_photo_id"] == first["id"] and match["earlier_complaint_id"] == earlier
        assert match["checks"] == ["phash"] and match["strength"] == "strong" and match["figures"] == {}


async def test_erasing_a_complaints_personal_data_drops_its_photos_features(infra, databases, tmp_path):
    async with running_intake(infra, databases, tmp_path / "p", photo_reuse_views=True) as intake:
        erased_photo = (await upload_photo(intake, jpeg(textured_scene(photo_seed())))).json()
        kept_photo = (await upload_photo(intake, jpeg(textured_scene(photo_seed())))).json()
        erased = (await intake.client.post("/v1/complaints", json=complaint_with_photos([erased_photo["id"]]))).json()["id"]
        await intake.client.post("/v1/complaints", json=complaint_with_photos([kept_photo["id"]]))
        assert (await _stored_views(intake, erased_photo["id"]))[1] == 1

        async with intake.pool.acquire() as conn, conn.transaction():
            assert await privacy_repository.erase_complaint_personal_data(
                conn=conn, complaint_id=uuid.UUID(erased), at=datetime.now(UTC)
            )
        # The thumbnail inside the features goes; the view hashes (64-bit numbers) stay.
        views, features = await _stored_views(intake, erased_photo["id"])
        assert features == 0 and views > 1
        assert (await _stored_views(intake, kept_photo["id"]))[1] == 1
