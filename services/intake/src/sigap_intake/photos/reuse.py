"""Reuse detection: a new photo that closely matches one sent before (by perceptual hash) is a
reason to doubt it. Earlier photos are found by multi-index hashing: the 64-bit hash in four
16-bit bands, probed within a small radius each, so the database answers from an index."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from uuid import UUID

from sigap_intake.photos.checks import Reason


@dataclass(frozen=True, slots=True)
class SimilarPhoto:
    photo_id: UUID
    complaint_id: UUID | None
    distance: int


def reuse_reasons(similar: Sequence[SimilarPhoto], *, ignore: Iterable[UUID] = ()) -> list[Reason]:
    """One reason per earlier look-alike photo, nearest first, linked to its complaint."""
    ignored = set(ignore)
    return [
        Reason(
            "reused_photo",
            "Foto ini sangat mirip dengan foto yang sudah pernah dikirim.",
            "This photo closely matches a photo sent earlier.",
            {
                "earlier_photo_id": str(match.photo_id),
                "earlier_complaint_id": str(match.complaint_id) if match.complaint_id else None,
                "distance": match.distance,
            },
        )
        for match in sorted(similar, key=lambda m: m.distance)
        if match.photo_id not in ignored
    ]


def bands(phash: int) -> tuple[int, int, int, int]:
    """The 64-bit hash as four 16-bit bands, most significant first."""
    return tuple((phash >> shift) & 0xFFFF for shift in (48, 32, 16, 0))  # type: ignore[return-value]


def band_neighbours(band: int, radius: int) -> list[int]:
    """Every 16-bit value within `radius` bits of `band` (radius 2: 137 values)."""
    values = {band}
    frontier = {band}
    for _ in range(radius):
        frontier = {value ^ (1 << bit) for value in frontier for bit in range(16)} - values
        values |= frontier
    return sorted(values)


def probe_radius(max_distance: int) -> int:
    # Pigeonhole: if 4 bands differ in d bits in total, one band differs in at most d // 4.
    return max_distance // 4


def to_signed(phash: int) -> int:
    """PostgreSQL's bigint is signed; the bit pattern is what matters."""
    return phash - (1 << 64) if phash >= 1 << 63 else phash


def hamming(a: int, b: int) -> int:
    return ((a ^ b) & 0xFFFFFFFFFFFFFFFF).bit_count()
