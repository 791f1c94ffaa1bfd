"""SIGAP_PHOTO_REUSE_KEYS: SIFT keys as a candidate source of reuse detection (migration 0014,
photos/lookup.py). With the keys on and the views off, a mirrored and cropped copy of an earlier
photo is a confirmed `reused_photo`, an unrelated scene is clean, staff see the key check named;
keys are written at upload and erased with the complaint's personal data; off, no key rows. The
candidate query itself on synthetic keys: top 8 by distinct shared keys, >= 2, through an
index-only scan (real PostgreSQL, real image files)."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime

import pytest
from PIL import Image, ImageOps

from sigap_intake.photos import evidence, keys
from sigap_intake.photos import repository as photo_repository
from sigap_intake.privacy import repository as privacy_repository
from sigap_intake.settings import DEVELOPMENT_INTERNAL_TOKEN
from tests.integration.intake.conftest import complaint_with_photos, photo_seed, running_intake, upload_photo
from tests.unit.intake.images import jpeg, textured_scene

pytestmark = pytest.mark.integration

AUTH = {"Authorization": f"Bearer {DEVELOPMENT_INTERNAL_TOKEN}"}


def _reuse(photo: dict) -> list[dict]:
    return [reason for reason in photo["reasons"] if reason["code"] in ("reused_photo", "similar_photo")]


def _mirrored_crop(image: Image.Image, fraction: float = 0.1) -> Image.Image:
    """Mirrored, then `fraction` of the width cut from the left and of the height from the top."""
    flipped = ImageOps.mirror(image)
    return flipped.crop((round(flipped.width * fraction), round(flipped.height * fraction), flipped.width, flipped.height))


async def _stored(intake, photo_id: str) -> dict[str, int]:
    photo = uuid.UUID(photo_id)
    counts = {}
    for table in ("photo_reuse_keys", "photo_features", "photo_view_hashes"):
        counts[table] = await intake.pool.fetchval(f"SELECT count(*) FROM {table} WHERE photo_id = $1", photo)
    return counts


async def test_with_the_keys_on_a_mirrored_cropped_copy_is_a_confirmed_reuse(infra, databases, tmp_path):
    # Flagging only, so the copy can be attached and its match read back through the staff list.
    async with running_intake(
        infra, databases, tmp_path / "p", photo_reuse_keys=True, photo_reject_reasons={"*": []}
    ) as intake:
        assert intake.context.policy.reuse_keys and not intake.context.policy.reuse_views
        original = textured_scene(photo_seed())
        first = (await upload_photo(intake, jpeg(original))).json()
        assert _reuse(first) == [], first
        stored = await _stored(intake, first["id"])
        # Keys and the features that confirm them; no view hashes with the views off.
        assert stored["photo_reuse_keys"] >= 20 and stored["photo_features"] == 1, stored
        assert stored["photo_view_hashes"] == 0, stored
        earlier = (await intake.client.post("/v1/complaints", json=complaint_with_photos([first["id"]]))).json()["id"]

        copy = (await upload_photo(intake, jpeg(_mirrored_crop(original), quality=75))).json()
        [reused] = _reuse(copy)
        assert reused["code"] == "reused_photo", copy
        assert reused["earlier_photo_id"] == first["id"] and reused["earlier_complaint_id"] == earlier
        assert reused["match"]["strength"] == "strong" and reused["match"]["mirrored"] is True
        # The single hash does not see a mirror: only the keys proposed it, the features confirmed it.
        assert reused["match"]["checks"] == [keys.KEY_SCHEME, "orb_ransac"], reused

        unrelated = (await upload_photo(intake, jpeg(textured_scene(photo_seed())))).json()
        assert _reuse(unrelated) == [], unrelated

        later = (await intake.client.post("/v1/complaints", json=complaint_with_photos([copy["id"]]))).json()["id"]
        listed = await intake.client.get(f"/internal/v1/complaints/{later}/photos", headers=AUTH)
        assert listed.status_code == 200, listed.text
        [photo] = listed.json()["photos"]
        [match] = photo["matches"]
        assert match["earlier_photo_id"] == first["id"] and match["strength"] == "strong"
        assert match["checks"] == [keys.KEY_SCHEME, "orb_ransac"], match
        assert match["figures"]["inliers"] > 0 and "checks" not in match["figures"]
        assert match["hash_distance"] is None, match  # no hash found it: no hash distance to show


async def test_a_recompressed_copy_is_found_by_the_hash_and_the_keys_together(infra, databases, tmp_path):
    async with running_intake(infra, databases, tmp_path / "p", photo_reuse_keys=True) as intake:
        original = textured_scene(photo_seed())
        first = (await upload_photo(intake, jpeg(original))).json()
        copy = (await upload_photo(intake, jpeg(original, quality=70))).json()
        assert copy["verdict"] == "rejected", copy  # reused_photo rejects by default
        [reused] = _reuse(copy)
        assert reused["code"] == "reused_photo" and reused["earlier_photo_id"] == first["id"]
        assert reused["match"]["checks"] == [evidence.LEGACY_CHECK, keys.KEY_SCHEME, "orb_ransac"], reused


async def test_a_copy_of_a_photo_without_features_keeps_todays_single_hash_verdict(infra, databases, tmp_path):
    # A photo uploaded before the keys were switched on (or erased) has a hash but no features:
    # nothing can confirm it, so its copy is judged as with the setting off, not let through.
    async with running_intake(infra, databases, tmp_path / "p", photo_reuse_keys=True) as intake:
        original = textured_scene(photo_seed())
        first = (await upload_photo(intake, jpeg(original))).json()
        await intake.pool.execute("DELETE FROM photo_features WHERE photo_id = $1", uuid.UUID(first["id"]))
        await intake.pool.execute("DELETE FROM photo_reuse_keys WHERE photo_id = $1", uuid.UUID(first["id"]))
        copy = (await upload_photo(intake, jpeg(original, quality=70))).json()
        assert copy["verdict"] == "rejected", copy
        [reused] = _reuse(copy)
        assert reused["code"] == "reused_photo" and reused["earlier_photo_id"] == first["id"], reused
        assert "match" not in reused and isinstance(reused["distance"], int)


async def test_with_views_and_keys_on_both_sources_are_named(infra, databases, tmp_path):
    async with running_intake(infra, databases, tmp_path / "p", photo_reuse_keys=True, photo_reuse_views=True) as intake:
        original = textured_scene(photo_seed())
        first = (await upload_photo(intake, jpeg(original))).json()
        stored = await _stored(intake, first["id"])
        assert stored["photo_reuse_keys"] > 0 and stored["photo_view_hashes"] > 1, stored
        copy = (await upload_photo(intake, jpeg(ImageOps.mirror(original), quality=75))).json()
        [reused] = _reuse(copy)
        assert reused["code"] == "reused_photo" and reused["earlier_photo_id"] == first["id"], copy
        assert reused["match"]["checks"] == ["dihedral_view_hashes", keys.KEY_SCHEME, "orb_ransac"], reused


async def test_with_the_keys_off_no_key_rows_are_written(infra, databases, tmp_path):
    async with running_intake(infra, databases, tmp_path / "p", photo_reuse_views=True) as intake:
        assert intake.context.policy.reuse_keys is False
        first = (await upload_photo(intake, jpeg(textured_scene(photo_seed())))).json()
        stored = await _stored(intake, first["id"])
        assert stored["photo_reuse_keys"] == 0 and stored["photo_view_hashes"] > 1, stored
    async with running_intake(infra, databases, tmp_path / "q") as intake:
        first = (await upload_photo(intake, jpeg(textured_scene(photo_seed())))).json()
        assert await _stored(intake, first["id"]) == {"photo_reuse_keys": 0, "photo_features": 0, "photo_view_hashes": 0}


async def test_erasing_a_complaints_personal_data_drops_its_photos_keys(infra, databases, tmp_path):
    async with running_intake(infra, databases, tmp_path / "p", photo_reuse_keys=True) as intake:
        erased_photo = (await upload_photo(intake, jpeg(textured_scene(photo_seed())))).json()
        kept_photo = (await upload_photo(intake, jpeg(textured_scene(photo_seed())))).json()
        erased = (await intake.client.post("/v1/complaints", json=complaint_with_photos([erased_photo["id"]]))).json()["id"]
        await intake.client.post("/v1/complaints", json=complaint_with_photos([kept_photo["id"]]))
        assert (await _stored(intake, erased_photo["id"]))["photo_reuse_keys"] > 0

        async with intake.pool.acquire() as conn, conn.transaction():
            assert await privacy_repository.erase_complaint_personal_data(
                conn=conn, complaint_id=uuid.UUID(erased), at=datetime.now(UTC)
            )
        gone = await _stored(intake, erased_photo["id"])
        assert gone["photo_reuse_keys"] == 0 and gone["photo_features"] == 0, gone
        kept = await _stored(intake, kept_photo["id"])
        assert kept["photo_reuse_keys"] > 0 and kept["photo_features"] == 1, kept


# --- the candidate query on synthetic keys ---------------------------------------------------


async def _bare_photos(conn, count: int) -> list[uuid.UUID]:
    """`count` photo rows with nothing but what the table requires (keys need a photo)."""
    ids = [uuid.uuid4() for _ in range(count)]
    await conn.execute(
        "INSERT INTO capture_sessions (id, started_at, expires_at) SELECT id, now(), now() FROM unnest($1::uuid[]) id",
        ids,
    )
    await conn.execute(
        "INSERT INTO photos (id, capture_session_id, sha256, media_type, size_bytes, width, height, verdict,"
        " reasons, uploaded_at) SELECT id, id, '\\x00', 'image/jpeg', 1, 1, 1, 'verified_live', '[]', now()"
        " FROM unnest($1::uuid[]) id",
        ids,
    )
    return ids


async def test_key_candidates_are_the_photos_sharing_most_distinct_keys(intake):
    async with intake.pool.acquire() as conn:
        photos = await _bare_photos(conn, 12)
        probes: list[int] = []
        # Photo i shares 12 - i of its 20 keys with the probes: 12, 11, ..., 1.
        for number, photo in enumerate(photos):
            own = [(number + 1) * 1_000 + k for k in range(20)]
            await photo_repository.insert_photo_keys(conn=conn, photo_id=photo, keys=own)
            probes += own[: 12 - number]
        # Keys probed twice count once; keys stored by nobody change nothing.
        probes += probes[:5] + [2**62 + 7]
        ranked = await photo_repository.find_key_candidates(conn=conn, probes=probes)
        assert ranked == [(photo, 12 - number) for number, photo in enumerate(photos[: evidence.KEY_TOP])]
        # Fewer than KEY_MIN_HITS shared keys is no candidate: photo 11 shares one here, photo 10 two.
        few = await photo_repository.find_key_candidates(conn=conn, probes=[12_000, 11_000, 11_001])
        assert few == [(photo, hits) for photo, hits in [(photos[10], 2), (photos[11], 1)] if hits >= evidence.KEY_MIN_HITS]
        assert (photos[10], 2) in few
        # Keys are signed bigints (the bit pattern is what counts).
        await photo_repository.insert_photo_keys(conn=conn, photo_id=photos[11], keys=[-(2**62)])
        assert await photo_repository.find_key_candidates(conn=conn, probes=[12_000, -(2**62)]) == [(photos[11], 2)]
        assert await photo_repository.find_key_candidates(conn=conn, probes=[]) == []


async def test_the_key_lookup_is_an_index_only_scan(intake):
    async with intake.pool.acquire() as conn:
        photos = await _bare_photos(conn, 2_000)
        await conn.execute(
            "INSERT INTO photo_reuse_keys (key, photo_id) SELECT (random() * 2^40)::bigint, p"
            " FROM unnest($1::uuid[]) p, generate_series(1, 60)",
            photos,
        )
        await conn.execute("VACUUM (ANALYZE) photo_reuse_keys")
        probes = sorted({int(k) for k in range(0, 2**40, 2**40 // 1536)})
        # At 120 000 rows a scan with the probes hashed is cheaper; from about a million rows the
        # planner takes the index by itself (benchmarks.intake.key_table_scale). What matters here:
        # the primary key covers the query, so no heap is read once the visibility map is set.
        await conn.execute("SET enable_seqscan = off")
        plan = [
            row[0]
            for row in await conn.fetch(
                "EXPLAIN " + photo_repository._KEY_CANDIDATES,  # noqa: SLF001 - the real query
                probes, evidence.KEY_MIN_HITS, evidence.KEY_TOP,
            )
        ]
        await conn.execute("RESET enable_seqscan")
        scans = [line.strip()[:80] for line in plan if "Scan" in line]
        assert len(scans) == 1 and "Index Only Scan using photo_reuse_keys_pkey" in scans[0], scans
        deleted = await conn.execute("DELETE FROM photo_reuse_keys WHERE photo_id = $1", photos[0])
        assert deleted == "DELETE 60"
        plan = [
            row[0] for row in await conn.fetch("EXPLAIN DELETE FROM photo_reuse_keys WHERE photo_id = $1", photos[1])
        ]
        assert any("photo_reuse_keys_photo_idx" in line for line in plan), plan
