"""Finding the earlier photos a new upload copies, from each candidate source the settings turn
on, all confirmed the same way (`evidence.judge`: ORB + RANSAC):

- the view hashes (SIGAP_PHOTO_REUSE_VIEWS): each photo's closest views in the band index;
- the SIFT keys (SIGAP_PHOTO_REUSE_KEYS): the photos sharing most of the new photo's probe keys,
  with the single perceptual hash's neighbours as well (today's lookup, so the key check never
  misses what the single hash found).

Staff are told which sources found each match and whether the features confirmed it
(`checks`: the names the staff API lists)."""

from __future__ import annotations

import asyncio
from collections.abc import Hashable, Mapping, Sequence
from dataclasses import dataclass, field, replace

import asyncpg

from sigap_intake.photos import evidence, keys
from sigap_intake.photos import repository as photo_repository
from sigap_intake.photos.checks import PhotoFacts, PhotoPolicy, Reason
from sigap_intake.photos.reuse import SimilarPhoto

VIEWS_CHECK = evidence.CHECKS[0]  # "dihedral_view_hashes"
FEATURES_CHECK = evidence.CHECKS[1]  # "orb_ransac"


@dataclass(frozen=True, slots=True)
class Found:
    matches: list[evidence.Match]
    # Per matched photo: the sources that proposed it, then FEATURES_CHECK when features were compared.
    checks: dict[Hashable, tuple[str, ...]]
    # The single hash's neighbours that have no features to compare (uploaded before the check was
    # on, or erased): judged as today's lookup judges them, by the hash alone.
    hash_only: list[SimilarPhoto] = field(default_factory=list)


def union(
    *,
    views: Sequence[evidence.Candidate] = (),
    similar: Sequence[SimilarPhoto] = (),
    ranked: Sequence[tuple[Hashable, int]] | None = None,
    key_check: str = keys.KEY_SCHEME,
) -> tuple[list[evidence.Candidate], dict[Hashable, list[str]]]:
    """The candidates to judge: the view candidates, then the single hash's neighbours not among
    them (as whole-picture, unturned candidates at their hash distance), then the key-ranked
    photos `evidence.with_key_candidates` adds; and which source proposed each photo."""
    sources: dict[Hashable, list[str]] = {}
    candidates = list(views)
    for candidate in views:
        sources.setdefault(candidate.photo, []).append(VIEWS_CHECK)
    for neighbour in similar:
        if neighbour.photo_id not in sources:
            candidates.append(evidence.Candidate(photo=neighbour.photo_id, distance=neighbour.distance, variant=0, view=0))
        sources.setdefault(neighbour.photo_id, []).append(evidence.LEGACY_CHECK)
    if ranked is not None:
        candidates = evidence.with_key_candidates(candidates, ranked)
        judged = {candidate.photo for candidate in candidates}
        for photo, _hits in ranked:
            if photo in judged:
                sources.setdefault(photo, []).append(key_check)
    return candidates, sources


def checks_of(matches: Sequence[evidence.Match], sources: Mapping[Hashable, Sequence[str]]) -> dict[Hashable, tuple[str, ...]]:
    return {
        match.photo: (*sources.get(match.photo, (VIEWS_CHECK,)), *((FEATURES_CHECK,) if match.confirmation else ()))
        for match in matches
    }


def name_checks(reasons: Sequence[Reason], checks: Mapping[Hashable, Sequence[str]]) -> list[Reason]:
    """`evidence.reasons` with each match's `checks` replaced by what really found it."""
    by_id = {str(photo): found for photo, found in checks.items()}
    named = []
    for reason in reasons:
        match = reason.details.get("match")
        found = by_id.get(str(reason.details.get("earlier_photo_id")))
        if isinstance(match, dict) and found is not None:
            reason = replace(reason, details={**reason.details, "match": {**match, "checks": list(found)}})
        named.append(reason)
    return named


async def find_matches(*, conn: asyncpg.Connection, facts: PhotoFacts, policy: PhotoPolicy) -> Found:
    """Earlier photos this one is a copy of: candidates from the sources `policy` turns on,
    confirmed (or not) by local features off the event loop."""
    if facts.fingerprint is None:
        return Found([], {})
    views: list[evidence.Candidate] = []
    similar: list[SimilarPhoto] = []
    ranked: list[tuple[Hashable, int]] | None = None
    if policy.reuse_views:
        views = await photo_repository.find_reuse_candidates(conn=conn, query_hashes=facts.fingerprint.query_hashes)
    if policy.reuse_keys:
        similar = await photo_repository.find_similar_photos(
            conn=conn, phash=facts.phash, max_distance=policy.reuse_max_distance
        )
        probes = facts.keys.probes if facts.keys is not None else ()
        ranked = list(await photo_repository.find_key_candidates(conn=conn, probes=probes))
    candidates, sources = union(views=views, similar=similar, ranked=ranked, key_check=keys.KEY_SCHEME)
    if not candidates:
        return Found([], {})
    features = await photo_repository.photo_features(conn=conn, photo_ids=[c.photo for c in candidates])
    # Without features `judge` could only call a neighbour weak or nothing: keep today's verdict.
    hash_only = [neighbour for neighbour in similar if neighbour.photo_id not in features]
    unjudged = {neighbour.photo_id for neighbour in hash_only}
    candidates = [candidate for candidate in candidates if candidate.photo not in unjudged]
    matches = await asyncio.to_thread(evidence.judge, facts.fingerprint, candidates, features) if candidates else []
    return Found(matches, checks_of(matches, sources), hash_only)
