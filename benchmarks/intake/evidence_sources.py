"""The candidate sources of `benchmarks.intake.evidence --sources` (issue 14): which earlier photos
a check hands to `evidence.judge`.

- views: the 49 view hashes per stored photo and the 8 dihedral query hashes (`MemoryIndex.candidates`).
- keys: what scales to a million photos: the production SIFT keys (`photos.keys`, photos sharing
  >= KEY_MIN_HITS distinct keys, the KEY_TOP most) plus today's single whole-picture pHash
  (`checks.perceptual_hash`) within `photo_reuse_max_distance` bits, scanned in memory; a pHash
  candidate carries its true distance, so that `judge` can still call an untextured copy "weak".
- views+keys: the view candidates, then the key candidates not among them.

It also counts what each source costs: keys per stored photo, probes per lookup, and the key rows
a lookup reads among unrelated photos (its original left out), scaled to a million stored photos."""

from __future__ import annotations

import io
import time
from collections import defaultdict
from collections.abc import Hashable

import numpy as np
from PIL import Image

from benchmarks.support import percentile
from sigap_intake.photos import checks, evidence, fingerprint, keys
from sigap_intake.settings import IntakeSettings

SOURCES = ("views", "keys", "views+keys")
PHASH_DISTANCE = IntakeSettings.model_fields["photo_reuse_max_distance"].default


class CandidateSources:
    """The stored photos under the chosen sources, and per check the candidates each source gave."""

    def __init__(self, sources: str) -> None:
        self.sources = sources
        self.uses_views = sources in ("views", "views+keys")
        self.uses_keys = sources in ("keys", "views+keys")
        self.uses_phash = sources == "keys"
        self.names = [name for name, used in (("views", self.uses_views), ("phash", self.uses_phash),
                                              ("keys", self.uses_keys)) if used]
        self.index = evidence.MemoryIndex()
        self._phashes: list[int] = []
        self._phash_photos: list[Hashable] = []
        self.key_counts: list[int] = []
        self.probe_counts: list[int] = []
        # Per kind of check ("copy", "fresh scene", ...), the key rows each read among unrelated photos, at 1M stored.
        self.key_rows: dict[str, list[float]] = defaultdict(list)
        # Per copy, in the order checked: distinct keys its original shares with it, and how many
        # unrelated photos share at least as many, scaled to a million stored photos.
        self.original_keys: list[tuple[int, float]] = []

    def add(self, photo: Hashable, data: bytes, print_: fingerprint.Fingerprint) -> None:
        stored: tuple[int, ...] = ()
        if self.uses_keys:
            stored = keys.photo_keys(Image.open(io.BytesIO(data)), own=True).stored
            self.key_counts.append(len(stored))
        if self.uses_phash:
            self._phashes.append(checks.perceptual_hash(Image.open(io.BytesIO(data))))
            self._phash_photos.append(photo)
        self.index.add(photo, print_, keys=stored)

    def phash_candidates(self, phash: int) -> list[evidence.Candidate]:
        """Stored photos within PHASH_DISTANCE of `phash`, nearest first, at most MAX_CANDIDATES."""
        if not self._phashes:
            return []
        stored = np.array(self._phashes, np.uint64)
        distance = np.unpackbits((stored ^ np.uint64(phash)).view(np.uint8).reshape(-1, 8), axis=1).sum(axis=1)
        near = np.flatnonzero(distance <= PHASH_DISTANCE)
        near = near[np.argsort(distance[near], kind="stable")][: evidence.MAX_CANDIDATES]
        return [evidence.Candidate(photo=self._phash_photos[i], distance=int(distance[i]), variant=0, view=0)
                for i in near]

    def candidates(self, data: bytes, new: fingerprint.Fingerprint, stages: dict[str, list[float]], *,
                   original: Hashable | None, stored_count: int, kind: str) -> tuple[list[evidence.Candidate], dict[str, set]]:
        """The candidates to judge for a new picture (its JPEG bytes and fingerprint), each
        source's photos, and the stages timed into `stages`."""
        found: dict[str, set] = {}
        candidates: list[evidence.Candidate] = []
        if self.uses_views:
            t0 = time.perf_counter()
            candidates = self.index.candidates(new.query_hashes)
            stages["views lookup (memory)"].append(time.perf_counter() - t0)
            found["views"] = {c.photo for c in candidates}
        if self.uses_phash:
            t0 = time.perf_counter()
            candidates = self.phash_candidates(checks.perceptual_hash(Image.open(io.BytesIO(data))))
            stages["pHash (hash + scan)"].append(time.perf_counter() - t0)
            found["phash"] = {c.photo for c in candidates}
        if self.uses_keys:
            t0 = time.perf_counter()
            probes = keys.photo_keys(Image.open(io.BytesIO(data)), own=True).probes
            t1 = time.perf_counter()
            rows = self.index.key_rows(probes)
            ranked = evidence.key_top(rows)
            stages["keys (SIFT + probes)"].append(t1 - t0)
            stages["keys lookup (memory)"].append(time.perf_counter() - t1)
            self.probe_counts.append(len(probes))
            unrelated = sum(1 for photo, _ in rows if photo != original)
            if kind == "copy":
                hits = dict(keys.rank_hits(rows))
                own = hits.pop(original, 0)
                rivals = sum(1 for count in hits.values() if count >= own) if own else 0
                self.original_keys.append((own, rivals * 1_000_000 / (stored_count - 1)))
            self.key_rows[kind].append(unrelated * 1_000_000 / (stored_count - (original is not None)))
            found["keys"] = {photo for photo, _ in ranked}
            candidates = evidence.with_key_candidates(candidates, ranked)
        return candidates, found


def only_by(found: dict[str, set], photo: Hashable) -> str | None:
    """The one source that gave `photo`, if only one did."""
    givers = [source for source, photos in found.items() if photo in photos]
    return givers[0] if len(givers) == 1 else None


def report(sources: CandidateSources, found_only: dict[str, dict[str, int]], classes: list[str],
           confirmed_only: dict[str, int], fresh_only_strong: dict[str, int]) -> None:
    """The sources' lines of the report."""
    names = sources.names
    if len(names) > 1:
        print("copies recognised whose original only one source gave, per class:")
        for name in classes:
            row = ", ".join(f"{source} {found_only[name].get(source, 0)}" for source in names)
            print(f"  {name:<52} {row}")
        print("  total: " + ", ".join(f"{source} {sum(c.get(source, 0) for c in found_only.values())}" for source in names))
    print("strong matches on copies that were not the original, by the only source that gave them: "
          + (", ".join(f"{s} {n}" for s, n in confirmed_only.items()) or "none"))
    print("false strong matches on fresh photos, by the only source that gave them: "
          + (", ".join(f"{s} {n}" for s, n in fresh_only_strong.items()) or "none"))
    if sources.uses_keys:
        print(f"keys {keys.KEY_SCHEME}: {np.mean(sources.key_counts):.1f} keys per stored photo (max"
              f" {max(sources.key_counts)}); probes p50 {np.median(sources.probe_counts):.0f}, max"
              f" {max(sources.probe_counts)}; key rows read among unrelated photos, scaled to 1M stored photos:")
        every = [rows for per_kind in sources.key_rows.values() for rows in per_kind]
        for kind, rows in [("all checks", every), *sources.key_rows.items()]:
            print(f"  {kind:<18} p50 {np.median(rows):8.0f}, p99 {percentile(rows, 0.99):8.0f}, max {max(rows):8.0f}"
                  f" ({len(rows)} checks)")
        _original_keys(sources.original_keys, classes)
    if sources.uses_phash:
        print(f"pHash candidates within {PHASH_DISTANCE} bits (photo_reuse_max_distance's default)")


def _original_keys(shared: list[tuple[int, float]], classes: list[str]) -> None:
    """Per class, how many keys copies share with their original, and for how many the original
    would still be among the KEY_TOP key candidates at a million stored photos: fewer unrelated
    photos (scaled from this corpus) share as many keys. Ties count against the original."""
    per_class = len(shared) // len(classes)
    print("keys a copy shares with its original (0 / 1 / 2+), and original among the key top"
          f" {evidence.KEY_TOP} at 1M stored photos (estimated from unrelated photos sharing as many):")
    for number, name in enumerate(classes):
        rows = shared[number * per_class:(number + 1) * per_class]
        counts = [sum(1 for own, _ in rows if own == n) for n in (0, 1)]
        kept = sum(1 for own, rivals in rows if own and rivals < evidence.KEY_TOP)
        print(f"  {name:<52} {counts[0]:>3} / {counts[1]:>3} / {len(rows) - sum(counts):>3}"
              f"   top {evidence.KEY_TOP} at 1M: {kept / len(rows):6.1%}")
    kept = sum(1 for own, rivals in shared if own and rivals < evidence.KEY_TOP)
    print(f"  all copies: top {evidence.KEY_TOP} at 1M {kept / len(shared):.1%}")


def new_tally() -> dict[str, dict[str, int]]:
    return defaultdict(lambda: defaultdict(int))
