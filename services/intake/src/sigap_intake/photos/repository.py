"""Photos in intake's database: stored uploads, their reuse neighbours, attachment to a
complaint and public copies (`*, conn`, never commits)."""

from __future__ import annotations

from collections.abc import Hashable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from uuid import UUID

import asyncpg
import orjson

from sigap_intake.domain import AttachedPhoto
from sigap_intake.photos import checks as photo_checks
from sigap_intake.photos import evidence, fingerprint, reuse

_SIMILAR = """
SELECT m.photo_id, coalesce(p.complaint_id, p.after_photo_of) AS complaint_id, m.distance
FROM (
    SELECT photo_id, min(distance) AS distance
    FROM (
        SELECT photo_id, bit_count((phash # $5)::bit(64)) AS distance FROM photo_hashes
        WHERE band0 = ANY($1::int[]) AND bit_count((phash # $5)::bit(64)) <= $6
        UNION ALL
        SELECT photo_id, bit_count((phash # $5)::bit(64)) FROM photo_hashes
        WHERE band1 = ANY($2::int[]) AND bit_count((phash # $5)::bit(64)) <= $6
        UNION ALL
        SELECT photo_id, bit_count((phash # $5)::bit(64)) FROM photo_hashes
        WHERE band2 = ANY($3::int[]) AND bit_count((phash # $5)::bit(64)) <= $6
        UNION ALL
        SELECT photo_id, bit_count((phash # $5)::bit(64)) FROM photo_hashes
        WHERE band3 = ANY($4::int[]) AND bit_count((phash # $5)::bit(64)) <= $6
    ) candidates
    GROUP BY photo_id
    ORDER BY distance
    LIMIT $7
) m
LEFT JOIN photos p ON p.id = m.photo_id
ORDER BY m.distance
"""


async def find_similar_photos(
    *, conn: asyncpg.Connection, phash: int, max_distance: int, limit: int = 10
) -> list[reuse.SimilarPhoto]:
    """Earlier photos within `max_distance` bits, through the band indexes (never a scan)."""
    radius = reuse.probe_radius(max_distance)
    probes = [reuse.band_neighbours(band, radius) for band in reuse.bands(phash)]
    rows = await conn.fetch(_SIMILAR, *probes, reuse.to_signed(phash), max_distance, limit)
    return [
        reuse.SimilarPhoto(
            photo_id=row["photo_id"], complaint_id=row["complaint_id"], distance=row["distance"]
        )
        for row in rows
    ]


_VIEW_CANDIDATES = """
SELECT DISTINCT c.photo_id, c.view, c.phash
FROM (
    SELECT photo_id, view, phash FROM photo_view_hashes WHERE band0 = ANY($1::int[])
    UNION ALL
    SELECT photo_id, view, phash FROM photo_view_hashes WHERE band1 = ANY($2::int[])
    UNION ALL
    SELECT photo_id, view, phash FROM photo_view_hashes WHERE band2 = ANY($3::int[])
    UNION ALL
    SELECT photo_id, view, phash FROM photo_view_hashes WHERE band3 = ANY($4::int[])
) c
WHERE EXISTS (SELECT 1 FROM unnest($5::bigint[]) q WHERE bit_count((c.phash # q)::bit(64)) <= $6)
"""


async def find_reuse_candidates(*, conn: asyncpg.Connection, query_hashes: tuple[int, ...]) -> list[evidence.Candidate]:
    """Earlier photos one of whose views is within CANDIDATE_DISTANCE of one of the new photo's
    query hashes, found through the band indexes (the same probes as `evidence.MemoryIndex`)."""
    rows = await conn.fetch(
        _VIEW_CANDIDATES,
        *evidence.probes(query_hashes),
        [reuse.to_signed(value) for value in query_hashes],
        fingerprint.CANDIDATE_DISTANCE,
    )
    return evidence.nearest(
        query_hashes, ((row["photo_id"], row["view"], row["phash"] & 0xFFFFFFFFFFFFFFFF) for row in rows)
    )


_KEY_CANDIDATES = """
SELECT photo_id, count(*) AS hits FROM photo_reuse_keys WHERE key = ANY($1::bigint[])
GROUP BY photo_id HAVING count(*) >= $2
ORDER BY hits DESC, photo_id
LIMIT $3
"""


async def find_key_candidates(*, conn: asyncpg.Connection, probes: Sequence[int]) -> list[tuple[UUID, int]]:
    """(photo, hits) of the earlier photos sharing the most distinct probe keys (at least
    evidence.KEY_MIN_HITS), most first, at most evidence.KEY_TOP: one index-only scan of the
    primary key (each (key, photo) row is there once, so a photo's count is its distinct keys)."""
    if not probes:
        return []
    rows = await conn.fetch(_KEY_CANDIDATES, sorted(set(probes)), evidence.KEY_MIN_HITS, evidence.KEY_TOP)
    return [(row["photo_id"], row["hits"]) for row in rows]


async def insert_photo_keys(*, conn: asyncpg.Connection, photo_id: UUID, keys: Sequence[int]) -> None:
    """A photo's SIFT keys (signed bigints), each once."""
    if keys:
        await conn.execute(
            "INSERT INTO photo_reuse_keys (key, photo_id) SELECT DISTINCT k, $1::uuid FROM unnest($2::bigint[]) AS k",
            photo_id,
            list(keys),
        )


async def photo_features(
    *, conn: asyncpg.Connection, photo_ids: list[UUID]
) -> dict[UUID, fingerprint.StoredFeatures]:
    rows = await conn.fetch("SELECT photo_id, features FROM photo_features WHERE photo_id = ANY($1::uuid[])", photo_ids)
    return {row["photo_id"]: fingerprint.StoredFeatures.from_blob(row["features"]) for row in rows}


async def complaints_of_photos(*, conn: asyncpg.Connection, photo_ids: list[UUID]) -> dict[UUID, UUID | None]:
    """The complaint each photo is evidence or an after-photo of (None while unattached)."""
    rows = await conn.fetch(
        "SELECT id, coalesce(complaint_id, after_photo_of) AS complaint_id FROM photos WHERE id = ANY($1::uuid[])",
        photo_ids,
    )
    return {row["id"]: row["complaint_id"] for row in rows}


async def insert_photo(
    *,
    conn: asyncpg.Connection,
    photo_id: UUID,
    session_id: UUID,
    facts: photo_checks.PhotoFacts,
    size_bytes: int,
    original_key: str,
    verdict: str,
    reasons: list[photo_checks.Reason],
    similar: list[reuse.SimilarPhoto],
    uploaded_at: datetime,
    gps: tuple[float, float] | None = None,
    location_distance_m: int | None = None,
    matches: list[evidence.Match] | None = None,
    match_checks: Mapping[Hashable, Sequence[str]] | None = None,
) -> None:
    """`gps`: where the photo was taken; the photo's own EXIF position unless given.
    `location_distance_m`: how far that is from the location being reported, when known.
    `similar`: today's single-hash matches; `matches`: the multi-view or key check's, whose view
    hashes, keys and features are stored only when it took them (SIGAP_PHOTO_REUSE_VIEWS,
    SIGAP_PHOTO_REUSE_KEYS); `match_checks`: what found and confirmed each match, for staff."""
    gps = gps or facts.gps
    await conn.execute(
        """
        INSERT INTO photos (
            id, capture_session_id, sha256, media_type, size_bytes, width, height, original_key,
            verdict, reasons, taken_at, camera_make, camera_model, software,
            gps_lat, gps_lon, uploaded_at, content_credentials, location_distance_m)
        VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17, $18, $19)
        """,
        photo_id,
        session_id,
        facts.sha256,
        facts.media_type,
        size_bytes,
        facts.width,
        facts.height,
        original_key,
        verdict,
        orjson.dumps([reason.to_json() for reason in reasons]).decode(),
        facts.taken_at,
        facts.camera_make,
        facts.camera_model,
        facts.software,
        gps[0] if gps else None,
        gps[1] if gps else None,
        uploaded_at,
        orjson.dumps(facts.credentials.to_json()).decode() if facts.credentials.state != "absent" else None,
        location_distance_m,
    )
    phash_bands = reuse.bands(facts.phash)
    await conn.execute(
        "INSERT INTO photo_hashes (photo_id, phash, band0, band1, band2, band3) VALUES ($1, $2, $3, $4, $5, $6)",
        photo_id,
        reuse.to_signed(facts.phash),
        *phash_bands,
    )
    if facts.fingerprint is not None:
        await conn.execute(
            """
            INSERT INTO photo_view_hashes (photo_id, view, phash, band0, band1, band2, band3)
            SELECT $1, (v.ordinality - 1)::smallint, v.phash, (v.phash >> 48) & 65535, (v.phash >> 32) & 65535,
                   (v.phash >> 16) & 65535, v.phash & 65535
            FROM unnest($2::bigint[]) WITH ORDINALITY AS v(phash, ordinality)
            """,
            photo_id,
            [reuse.to_signed(value) for value in facts.fingerprint.view_hashes],
        )
        await conn.execute(
            "INSERT INTO photo_features (photo_id, features) VALUES ($1, $2)",
            photo_id,
            facts.fingerprint.stored.to_blob(),
        )
    if facts.keys is not None:
        await insert_photo_keys(conn=conn, photo_id=photo_id, keys=facts.keys.stored)
    if similar:
        await conn.executemany(
            "INSERT INTO photo_matches (photo_id, earlier_photo_id, distance) VALUES ($1, $2, $3)"
            " ON CONFLICT DO NOTHING",
            [(photo_id, match.photo_id, match.distance) for match in similar],
        )
    if matches:
        await conn.executemany(
            "INSERT INTO photo_matches (photo_id, earlier_photo_id, distance, strength, confidence, details)"
            " VALUES ($1, $2, $3, $4, $5, $6)"
            " ON CONFLICT (photo_id, earlier_photo_id) DO UPDATE SET strength = excluded.strength,"
            " confidence = excluded.confidence, details = excluded.details",
            [
                (
                    photo_id,
                    match.photo,
                    match.distance,
                    match.strength,
                    match.confirmation.confidence if match.confirmation else None,
                    orjson.dumps(
                        (match.confirmation.to_json() if match.confirmation else {})
                        | ({"checks": list(match_checks[match.photo])} if match_checks and match.photo in match_checks
                           else {})
                    ).decode(),
                )
                for match in matches
            ],
        )


@dataclass(frozen=True, slots=True)
class PhotoRow:
    id: UUID
    complaint_id: UUID | None
    reasons: tuple[photo_checks.Reason, ...]
    gps: tuple[float, float] | None
    verdict: str = "verified_live"
    after_photo_of: UUID | None = None
    original_purged: bool = False

    @property
    def in_use(self) -> bool:
        return self.complaint_id is not None or self.after_photo_of is not None


async def lock_photos(*, conn: asyncpg.Connection, photo_ids: list[UUID]) -> dict[UUID, PhotoRow]:
    rows = await conn.fetch(
        "SELECT id, complaint_id, after_photo_of, verdict, reasons, gps_lat, gps_lon, original_purged_at FROM photos"
        " WHERE id = ANY($1::uuid[]) ORDER BY id FOR UPDATE",
        photo_ids,
    )
    return {
        row["id"]: PhotoRow(
            id=row["id"],
            complaint_id=row["complaint_id"],
            reasons=tuple(photo_checks.Reason.from_json(r) for r in orjson.loads(row["reasons"])),
            gps=(row["gps_lat"], row["gps_lon"]) if row["gps_lat"] is not None else None,
            verdict=row["verdict"],
            after_photo_of=row["after_photo_of"],
            original_purged=row["original_purged_at"] is not None,
        )
        for row in rows
    }


async def attach_photos(
    *, conn: asyncpg.Connection, complaint_id: UUID, photos: Sequence[AttachedPhoto]
) -> None:
    """Bind the photos to the complaint with their verdicts as judged against it."""
    await conn.executemany(
        "UPDATE photos SET complaint_id = $1, verdict = $3, reasons = $4, location_distance_m = $5 WHERE id = $2",
        [
            (
                complaint_id,
                photo.id,
                photo.verdict,
                orjson.dumps([r.to_json() for r in photo.reasons]).decode(),
                photo.location_distance_m,
            )
            for photo in photos
        ],
    )


async def claim_after_photos(
    *,
    conn: asyncpg.Connection,
    complaint_id: UUID,
    photos: list[tuple[UUID, str, list[photo_checks.Reason]]],
    claimed_at: datetime,
) -> None:
    await conn.executemany(
        "UPDATE photos SET after_photo_of = $1, verdict = $3, reasons = $4, claimed_at = $5 WHERE id = $2",
        [
            (complaint_id, photo_id, verdict, orjson.dumps([r.to_json() for r in reasons]).decode(), claimed_at)
            for photo_id, verdict, reasons in photos
        ],
    )


@dataclass(frozen=True, slots=True)
class PhotoExposure:
    """Where a photo is used, as far as showing it to the public is concerned."""

    id: UUID
    original_key: str
    public_key: str | None
    evidence_listed_publicly: bool
    after_photo_status: str | None
    announced_after_photos: tuple[UUID, ...]


async def photo_exposure(*, conn: asyncpg.Connection, photo_id: UUID) -> PhotoExposure | None:
    row = await conn.fetchrow(
        """
        SELECT p.id, p.original_key, p.public_key,
               coalesce(e.privacy = 'publik' AND e.publicly_visible, false) AS evidence_listed_publicly,
               a.status AS after_photo_status, coalesce(a.after_photo_ids, '{}') AS announced_after_photos
        FROM photos p
        LEFT JOIN complaints e ON e.id = p.complaint_id
        LEFT JOIN complaints a ON a.id = p.after_photo_of
        WHERE p.id = $1
        """,
        photo_id,
    )
    if row is None:
        return None
    return PhotoExposure(
        id=row["id"],
        original_key=row["original_key"],
        public_key=row["public_key"],
        evidence_listed_publicly=row["evidence_listed_publicly"],
        after_photo_status=row["after_photo_status"],
        announced_after_photos=tuple(row["announced_after_photos"]),
    )


async def set_public_key(*, conn: asyncpg.Connection, photo_id: UUID, public_key: str) -> None:
    await conn.execute("UPDATE photos SET public_key = $2 WHERE id = $1", photo_id, public_key)


async def complaint_photo_rows(*, conn: asyncpg.Connection, complaint_id: UUID) -> list[asyncpg.Record]:
    """A complaint's evidence, then its after-photos, each in upload order."""
    return await conn.fetch(
        "SELECT id, complaint_id, after_photo_of, verdict, reasons, width, height, taken_at, uploaded_at,"
        " location_distance_m, content_credentials"
        " FROM photos WHERE complaint_id = $1 OR after_photo_of = $1"
        " ORDER BY (after_photo_of IS NOT NULL), uploaded_at, id",
        complaint_id,
    )


async def complaint_photo_matches(*, conn: asyncpg.Connection, complaint_id: UUID) -> list[asyncpg.Record]:
    """The earlier photos each of a complaint's photos matched at upload, with the complaint
    each earlier photo belongs to now; matches within the complaint itself left out."""
    return await conn.fetch(
        """
        SELECT m.photo_id, m.earlier_photo_id, m.distance, m.strength, m.confidence, m.details,
               coalesce(e.complaint_id, e.after_photo_of) AS earlier_complaint_id,
               CASE WHEN e.after_photo_of IS NOT NULL THEN 'after' ELSE 'evidence' END AS earlier_role
        FROM photos p
        JOIN photo_matches m ON m.photo_id = p.id
        JOIN photos e ON e.id = m.earlier_photo_id
        WHERE (p.complaint_id = $1 OR p.after_photo_of = $1)
          AND coalesce(e.complaint_id, e.after_photo_of) IS DISTINCT FROM $1
        ORDER BY m.photo_id, (m.strength = 'strong') DESC, m.confidence DESC NULLS LAST, m.distance
        """,
        complaint_id,
    )


async def photo_keys_of_complaint(
    *, conn: asyncpg.Connection, complaint_id: UUID, photo_id: UUID
) -> tuple[str, str | None] | None:
    """(original key, public copy's key) of one of the complaint's photos."""
    row = await conn.fetchrow(
        "SELECT original_key, public_key FROM photos WHERE id = $1 AND (complaint_id = $2 OR after_photo_of = $2)",
        photo_id,
        complaint_id,
    )
    return None if row is None else (row["original_key"], row["public_key"])
