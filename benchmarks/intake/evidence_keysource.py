"""A second candidate source for `benchmarks.intake.evidence --keys N6` (issue 14): each stored
photo's SIFT keys (scheme N6 of `benchmarks.intake.evidence_sift`) in an in-memory dict
key -> photos, the photos a new picture's probe keys hit ranked by distinct keys hit, and the
union of those with the view-hash candidates that the unchanged `evidence.judge` confirms.

A key-only candidate carries distance KEY_ONLY_DISTANCE (64, every bit of the view hash): judge
calls a candidate "weak" only within fingerprint.WEAK_DISTANCE bits, so a photo found only
through the keys is either confirmed strong by ORB + RANSAC or not matched at all.

Measured (`nice ... evidence --images 1000 --per-class 60 --keys N6`, seed 14, 1 150 stored photos,
1 440 copies, 650 fresh photos, load average 2-7 on 2 cores; one run): 1 435 of 1 440 copies
recognised, lowest class 96.7 % ("crop up to 20 % any sides + overlay", 58/60: 2 not confirmed),
4 copies recognised only through the keys (crop any + rotate 90: 2, crop any + overlay: 2), all 4
key-only candidates confirmed were the original; 0 false strong matches in 747 500 pairs (0 from
key-only candidates), honest 647/650 clean (3 weak, from view candidates). 56.9 keys per stored
photo (max 64), 1 536 probes, key rows among unrelated photos at 1M p50 0 / p99 35 652 (copies and
fresh photos pooled, screenshots included). Stage p50 / p99: hash 28.0 / 92.6 ms, view lookup
43.2 / 114.0, keys 29.7 / 113.9, confirmation 54.9 / 144.8."""

from __future__ import annotations

import io
from collections import Counter, defaultdict
from collections.abc import Hashable, Iterable, Sequence

import numpy as np
from PIL import Image

from benchmarks.intake.evidence_sift import SCHEMES
from benchmarks.intake.evidence_sift_keys import CONFIGS, SiftHasher, extract, probes, stored_keys
from sigap_intake.photos import evidence, fingerprint

KEY_ONLY_DISTANCE = 64
TOP = 8  # key candidates taken per lookup
MIN_HITS = 2  # distinct keys a photo must share with the new picture to be a key candidate
TRAINING_OFFSET = 400_000  # training scenes: seed * 1 000 000 + 400 000 + n, as evidence_sift's fresh scenes
TRAINING_SCENES = 40


def union(view: Sequence[evidence.Candidate], ranked: Iterable[tuple[Hashable, int]], *, top: int = TOP,
          min_hits: int = MIN_HITS) -> tuple[list[evidence.Candidate], set[Hashable]]:
    """The view candidates in their order, then the first `top` key-ranked photos with at least
    `min_hits` hits that are not already among them (as KEY_ONLY_DISTANCE candidates); and the
    set of those key-only photos. `ranked` is best first."""
    assert KEY_ONLY_DISTANCE > fingerprint.WEAK_DISTANCE  # a key-only candidate is never "weak"
    out = list(view)
    seen = {c.photo for c in view}
    key_only: set[Hashable] = set()
    for photo, hits in list(ranked)[:top]:
        if hits < min_hits or photo in seen:
            continue
        seen.add(photo)
        key_only.add(photo)
        out.append(evidence.Candidate(photo=photo, distance=KEY_ONLY_DISTANCE, variant=0, view=0))
    return out, key_only


def ranked_hits(hit_photos: Iterable[Iterable[Hashable]]) -> list[tuple[Hashable, int]]:
    """Photos by number of distinct probe keys hit (one iterable of photos per distinct key),
    most first; ties in order of first hit."""
    counts: Counter[Hashable] = Counter()
    for photos in hit_photos:
        counts.update(set(photos))
    return counts.most_common()


class KeyIndex:
    """N6 keys of the stored photos in memory: key -> set of photos."""

    def __init__(self, scheme_name: str, training_images: Sequence[Image.Image], seed: int) -> None:
        self.scheme = next(s for s in SCHEMES if s.name == scheme_name)
        self.config = CONFIGS[self.scheme.config]
        training = np.concatenate([extract(image, self.config).descriptors for image in training_images])
        self.hasher = SiftHasher(self.scheme, training, seed)
        self._owners: dict[int, set[Hashable]] = defaultdict(set)
        self.key_counts: list[int] = []

    def add(self, photo: Hashable, data: bytes) -> None:
        keys = stored_keys(extract(Image.open(io.BytesIO(data)), self.config), self.hasher)
        self.key_counts.append(len(keys))
        for key in keys.tolist():
            self._owners[key].add(photo)

    def lookup(self, data: bytes) -> tuple[list[tuple[Hashable, int]], int]:
        """(photos ranked by distinct keys hit, probes) for a new picture's JPEG bytes; the rows
        a lookup reads are the sum of the hits (each probe key is distinct)."""
        values = probes(extract(Image.open(io.BytesIO(data)), self.config), self.hasher).tolist()
        return ranked_hits(self._owners[v] for v in values if v in self._owners), len(values)
