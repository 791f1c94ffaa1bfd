"""Deciding whether a new photo is a copy of an earlier one: candidates from the view-hash index
(see `fingerprint`), confirmed or not by local features, and the reasons that follow.

- strong: ORB + RANSAC confirm the same picture (many inliers spread over the frame). This is
  `reused_photo`, which the default policy rejects.
- weak: the hashes are very close but the pictures have too little texture to confirm
  (screenshots, walls, sky), or the new picture is rendered (a screenshot: two of one app share
  their bars and fonts, so even confirmed features prove nothing). This is `similar_photo`, only
  ever `suspicious`.
- anything else is no match at all: hash neighbours whose features disagree are unrelated
  scenes, and saying nothing is what keeps honest citizens from being accused.

Pure: the index is passed in (`MemoryIndex` here, the database in `repository`)."""

from __future__ import annotations

import itertools
from collections import defaultdict
from collections.abc import Callable, Hashable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from uuid import UUID

from sigap_intake.photos import fingerprint
from sigap_intake.photos.checks import Reason
from sigap_intake.photos.fingerprint import Confirmation, Fingerprint, StoredFeatures
from sigap_intake.photos.keys import rank_hits
from sigap_intake.photos.reuse import band_neighbours, bands

# Each 64-bit view hash is indexed as four 16-bit bands; a lookup probes each band of each of
# the 8 query hashes within this many bits. Radius 1 finds every view within 7 bits
# (pigeonhole) and most within 12, with 17 probes per band.
PROBE_RADIUS = 1
MAX_CANDIDATES = 8

CHECKS = ("dihedral_view_hashes", "orb_ransac")
# What today's lookup checks when the views are off (SIGAP_PHOTO_REUSE_VIEWS): one hash per photo.
LEGACY_CHECK = "phash"

# The second candidate source, SIFT keys (`keys`): the photos sharing most distinct keys with the
# new picture, at least KEY_MIN_HITS, at most KEY_TOP. One shared key is enough to be looked at:
# a copy cropped on several sides and brightened keeps fewer than 2 of its original's keys 8 times
# in 100 (5 of them keep 1), and while fewer than KEY_TOP photos share 2 or more keys, the slots
# left go to photos sharing one (at 2 300 stored photos nearly every lookup; at a million, most
# lookups of an unrelated photo still hit under 2 000 key rows, but among those a copy's one shared
# key is ranked by chance). ORB + RANSAC decides either way. A photo found only there carries
# KEY_ONLY_DISTANCE, every bit of a hash: `judge` calls a candidate "weak" only within
# fingerprint.WEAK_DISTANCE bits, so a key-only candidate is confirmed strong or not matched.
KEY_TOP = 8
KEY_MIN_HITS = 1
KEY_ONLY_DISTANCE = 64


@dataclass(frozen=True, slots=True)
class Candidate:
    photo: Hashable  # the earlier photo's id
    distance: int
    variant: int  # which query hash: 8 dihedral variants (0-3 rotations, 4-7 mirrored) per query cut
    view: int  # which stored view of the earlier photo


@dataclass(frozen=True, slots=True)
class Match:
    photo: Hashable
    distance: int
    variant: int
    view: int
    strength: fingerprint.Strength
    confirmation: Confirmation | None  # None when the features could not be compared


def probes(query_hashes: Sequence[int], *, radius: int = PROBE_RADIUS) -> list[list[int]]:
    """Per band (0-3), every band value to look up for any of the query hashes."""
    per_band: list[set[int]] = [set(), set(), set(), set()]
    for query in query_hashes:
        for number, band in enumerate(bands(query)):
            per_band[number].update(band_neighbours(band, radius))
    return [sorted(values) for values in per_band]


def nearest(query_hashes: Sequence[int], found: Iterable[tuple[Hashable, int, int]]) -> list[Candidate]:
    """From (photo, view, hash) rows the probes found: each photo's closest (variant, view)
    within CANDIDATE_DISTANCE, nearest first, at most MAX_CANDIDATES."""
    best: dict[Hashable, Candidate] = {}
    for photo, view, stored in found:
        for variant, query in enumerate(query_hashes):
            distance = fingerprint.hamming(query, stored)
            if distance <= fingerprint.CANDIDATE_DISTANCE and (
                photo not in best or distance < best[photo].distance
            ):
                best[photo] = Candidate(photo=photo, distance=distance, variant=variant, view=view)
    return sorted(best.values(), key=lambda c: c.distance)[:MAX_CANDIDATES]


def with_key_candidates(candidates: Sequence[Candidate], ranked: Iterable[tuple[Hashable, int]]) -> list[Candidate]:
    """`candidates` in their order, then those of the first KEY_TOP photos of `ranked` (photo,
    distinct keys hit; best first, as the index returns them) with at least KEY_MIN_HITS hits
    that are not among them yet, as key-only candidates."""
    out = list(candidates)
    seen = {c.photo for c in candidates}
    for photo, hits in itertools.islice(ranked, KEY_TOP):
        if hits >= KEY_MIN_HITS and photo not in seen:
            seen.add(photo)
            out.append(Candidate(photo=photo, distance=KEY_ONLY_DISTANCE, variant=0, view=0))
    return out


def key_top(rows: Iterable[tuple[Hashable, int]]) -> list[tuple[Hashable, int]]:
    """From the (photo, key) rows a lookup read, what `repository.find_key_candidates` returns:
    the KEY_TOP photos sharing most distinct keys, at least KEY_MIN_HITS, most first."""
    return [(photo, hits) for photo, hits in rank_hits(rows) if hits >= KEY_MIN_HITS][:KEY_TOP]


def judge(
    new: Fingerprint, candidates: Sequence[Candidate], features_of: Mapping[Hashable, StoredFeatures]
) -> list[Match]:
    """Confirm each candidate with ORB + RANSAC; strongest first."""
    matches = []
    can_compare_new = fingerprint.enough_texture(new.stored)
    for candidate in candidates:
        earlier = features_of.get(candidate.photo)
        if earlier is None or not can_compare_new or not fingerprint.enough_texture(earlier):
            if candidate.distance <= fingerprint.WEAK_DISTANCE:
                matches.append(Match(candidate.photo, candidate.distance, candidate.variant, candidate.view,
                                     "weak", None))
            continue
        confirmation = fingerprint.confirm(new, earlier)
        if confirmation.strength == "strong":
            # A rendered picture's confirmed match is still only weak: never a rejection.
            matches.append(Match(candidate.photo, candidate.distance, candidate.variant, candidate.view,
                                 "weak" if new.rendered else "strong", confirmation))
        elif candidate.distance <= fingerprint.WEAK_DISTANCE and confirmation.inliers >= fingerprint.MIN_INLIERS // 2:
            matches.append(Match(candidate.photo, candidate.distance, candidate.variant, candidate.view,
                                 "weak", confirmation))
    return sorted(matches, key=lambda m: (m.strength != "strong", m.distance))


class MemoryIndex:
    """The index in memory, for the benchmark and unit tests: the same band probes and distance
    filter as the database's (repository.find_reuse_candidates), and the photos' SIFT keys
    ranked as the database ranks them (photos sharing >= KEY_MIN_HITS distinct probe keys, most
    first, KEY_TOP of them)."""

    def __init__(self) -> None:
        self._bands: list[dict[int, list[tuple[Hashable, int, int]]]] = [defaultdict(list) for _ in range(4)]
        self._features: dict[Hashable, StoredFeatures] = {}
        self._keys: dict[int, list[Hashable]] = defaultdict(list)

    def add(self, photo: Hashable, print_: Fingerprint, *, keys: Iterable[int] = ()) -> None:
        for view, value in enumerate(print_.view_hashes):
            for number, band in enumerate(bands(value)):
                self._bands[number][band].append((photo, view, value))
        self._features[photo] = print_.stored
        for key in set(keys):
            self._keys[key].append(photo)

    def candidates(self, query_hashes: Sequence[int]) -> list[Candidate]:
        found = []
        for number, values in enumerate(probes(query_hashes)):
            for value in values:
                found.extend(self._bands[number].get(value, ()))
        return nearest(query_hashes, found)

    def key_rows(self, probe_keys: Iterable[int]) -> list[tuple[Hashable, int]]:
        """Every (photo, key) row the probes hit: what the database reads."""
        return [(photo, key) for key in set(probe_keys) for photo in self._keys.get(key, ())]

    def key_ranked(self, probe_keys: Iterable[int]) -> list[tuple[Hashable, int]]:
        return key_top(self.key_rows(probe_keys))

    def features(self, photos: Iterable[Hashable]) -> dict[Hashable, StoredFeatures]:
        return {photo: self._features[photo] for photo in photos if photo in self._features}


def check(new: Fingerprint, index: MemoryIndex) -> list[Match]:
    candidates = index.candidates(new.query_hashes)
    return judge(new, candidates, index.features(c.photo for c in candidates))


_VARIANTS = ("none", "rotated 90", "rotated 180", "rotated 270",
             "mirrored", "mirrored, rotated 90", "mirrored, rotated 180", "mirrored, rotated 270")


def reasons(
    matches: Sequence[Match], *, complaint_of: Callable[[Hashable], UUID | None], ignore: Iterable[UUID] = ()
) -> list[Reason]:
    """One reason per earlier photo matched: `reused_photo` when confirmed, `similar_photo`
    (never rejecting) when only the hashes agree."""
    ignored = set(ignore)
    out = []
    for match in matches:
        if match.photo in ignored:
            continue
        complaint = complaint_of(match.photo)
        details: dict[str, object] = {
            "earlier_photo_id": str(match.photo),
            "earlier_complaint_id": str(complaint) if complaint else None,
            "distance": match.distance,
            "match": {
                "strength": match.strength,
                "confidence": round(float(match.confirmation.confidence), 2) if match.confirmation else 0.0,
                "transform": _VARIANTS[match.variant % 8],
                "view": _view_text(match.view),
                "checks": list(CHECKS if match.confirmation else CHECKS[:1]),
                **(match.confirmation.to_json() if match.confirmation else {}),
            },
        }
        if match.strength == "strong":
            out.append(Reason(
                "reused_photo",
                "Foto ini sangat mirip dengan foto yang sudah pernah dikirim.",
                "This photo closely matches a photo sent earlier.",
                details,
            ))
        else:
            out.append(Reason(
                "similar_photo",
                "Foto ini mirip foto yang pernah dikirim, tetapi terlalu polos (mis. tangkapan layar) untuk "
                "dipastikan sama; perlu dicek petugas.",
                "This photo resembles one sent earlier, but has too little detail (e.g. a screenshot) to "
                "confirm it is the same; staff should check.",
                details,
            ))
    return out


def _view_text(view: int) -> str:
    left, top, right, bottom = fingerprint.views()[view]
    if not any((left, top, right, bottom)):
        return "whole picture"
    return f"crop left {left:.0%} top {top:.0%} right {right:.0%} bottom {bottom:.0%}"
