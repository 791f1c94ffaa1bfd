"""Could exact keys made from the ORB features intake already computes be the candidate stage of
the reuse index? An in-memory study, not a timed test (issue 14).

Each photo's ORB keypoints are computed as `fingerprint._features` does (up to 400 on the
contrast-normalised grey picture of long side 480); a copy is looked up with its own features
and those of its mirror image, as `fingerprint.confirm` matches them. A variant turns a stored
photo's keypoints into at most ~64 exact integer keys (a B-tree table `(key bigint, photo_id)`)
and a copy's keypoints into probe keys (one `key = ANY($1)` query); photos are ranked by the
number of distinct keys hit, and the candidates are the top 8.

Variants:
- `substrings`: the N strongest keypoints, each giving M keys of k descriptor bits (multi-index
  hashing of the 256-bit descriptor); the query probes every keypoint (both orientations).
- `phrases`: a key from a pair of neighbouring strong keypoints: b descriptor bits of each, plus
  their pyramid-level difference, the difference of their orientations and the direction of the
  segment between them relative to the first one's orientation (quantised); the query pairs
  each of its strong keypoints with its nearest neighbours.
- `stable bits`: either of the above, with descriptor bits chosen by how rarely they flip between
  a keypoint and its match in an edited copy, measured on a separate training set of scenes
  and copies (RANSAC inliers of the production matcher), instead of bits picked at random.

Per variant it prints the share of copies whose original is among the top 8 per edit class
(in memory, and estimated at 1 000 000 stored photos from the pooled scores of unrelated
photos), keys stored per photo, probes per lookup, and rows read among unrelated photos scaled
linearly to 1 000 000 photos (p50/p99), plus the time to compute keys and probes.

    uv run python -m benchmarks.intake.evidence_phrases [--scenes 150] [--unrelated 400] [--per-class 20]

The features of the generated corpus are cached (`--cache`, a pickle in /tmp) so that variants
can be compared without rebuilding it (building it took 383-619 s on the shared 2 cores; the
variants then take about 140 s).

Measured (`--cache /tmp/keysB_full2.pkl`, defaults: 150 scenes, 400 unrelated, 20 copies per
class, seed 14; "in memory" ranks among the 549 other stored photos, "at 1M" from the pooled
stranger scores). No variant comes near the goal (>= 99 % every class in the top 8, rows
p99 <= ~2 000 at 1M, <= ~2 000 probes):
- substrings N32 M2 k28, random bits, central: 61 keys, 1 578 probes, rows@1M p50 141 166 /
  p99 380 874; top 8 mean 89.0 %, worst 50 % (crop 10 % left+top); at 1M mean 67.9 %, worst 15 %.
- substrings N32 M2 k24, random bits: 60 keys, 1 568 probes, rows@1M 371 585 / 988 397; mean
  86.7 %, worst 55 % (crop up to 20 % any sides + mirror). With the query also half a pyramid
  step smaller: 3 011 probes, rows 627 505 / 1 470 893, mean 89.6 %, worst 55 %.
- phrases N32 nn2 b14 sectors8 distance, random bits, central: 61 keys, 1 584 probes, rows@1M
  1 821 / 18 215 (the only variant near the row budget, p50 only); mean 74.2 %, worst 35 %
  (crop up to 20 % any sides + mirror); the original gets p50 4 key hits.
- "stable" bits (least flipped in training copies, balanced) multiply rows read by 5-20x for
  little recall: the bits that flip least are also the least distinctive.
- Why: under crops the descriptors of the same corners differ in 10-13 % of bits (the copy is
  magnified between two of ORB's 1.2x pyramid levels; 20 % off one side, a 1.25x magnification
  (about one whole level) or none, flips 6 %; rotations and mirrors 2-4 %), and only p10 18-26 of the 64 stored
  keypoints have an inlier in the copy; a 24-bit key then survives ~5 % of the time. And the
  generated scenes' corners are alike: a random 24-bit descriptor substring collides with a
  stored key like an 18-bit random key would (28 bits: like 19), so longer keys are needed
  exactly where fewer survive.
- Backfill: keys made from ORB on the stored 96-pixel thumbnail (scaled up) give the original
  p50 4 instead of 17 hits and top-8 mean 63 %: they cannot be backfilled from it.
- Time: ORB p50 18-28 ms per picture (intake already computes one; the mirrored query needs a
  second); keys 0.2-0.9 ms per stored photo; probes ~1 ms (substrings), 10-17 ms (phrases, numpy).
"""

from __future__ import annotations

import argparse
import io
import pickle
import random
import time
from collections import defaultdict
from dataclasses import dataclass
from multiprocessing import Pool
from pathlib import Path

import cv2
import numpy as np
from PIL import Image

from benchmarks.intake import evidence as corpus
from sigap_intake.photos import fingerprint

TOP = 8


@dataclass(frozen=True, slots=True)
class Keypoints:
    """One picture's ORB keypoints as ORB returns them (OpenCV's KeyPoint fields as arrays)."""

    points: np.ndarray  # (n, 2) float32, feature-image pixels
    angle: np.ndarray  # (n,) degrees
    octave: np.ndarray  # (n,) pyramid level
    response: np.ndarray  # (n,)
    bits: np.ndarray  # (n, 256) bool, the unpacked descriptor

    def strongest(self, count: int, *, central: bool = False) -> np.ndarray:
        """The `count` strongest keypoints; `central`: only those in the middle 60 % of each axis
        (of the keypoints' extent), which any crop of up to 20 % per side keeps."""
        order = np.argsort(-self.response, kind="stable")
        if central and len(order):
            low, high = self.points.min(0), self.points.max(0)
            inside = np.all(np.abs(self.points - (low + high) / 2) <= 0.3 * (high - low), axis=1)
            order = order[inside[order]]
        return order[:count]


def _keypoints(feature_image: np.ndarray) -> Keypoints:
    found, descriptors = fingerprint._orb().detectAndCompute(fingerprint._clahe().apply(feature_image), None)
    if descriptors is None or not found:
        return Keypoints(np.zeros((0, 2), np.float32), np.zeros(0), np.zeros(0, int), np.zeros(0), np.zeros((0, 256), bool))
    return Keypoints(
        np.array([k.pt for k in found], np.float32),
        np.array([k.angle for k in found], np.float32),
        np.array([k.octave for k in found], np.int16),
        np.array([k.response for k in found], np.float32),
        np.unpackbits(descriptors, axis=1).astype(bool),
    )


def _feature_image(image: Image.Image) -> np.ndarray:
    """The grey picture ORB sees in production (`fingerprint.fingerprint`)."""
    return fingerprint._feature_image(fingerprint.upright_grey(image))


def _make(kind: str, seed: int) -> Image.Image:
    return {"scene": corpus.natural_scene, "screenshot": corpus.screenshot, "flat": corpus.flat_picture}[kind](seed)


def _stored_task(task: tuple[str, int]) -> tuple[Keypoints, Keypoints, float]:
    """A stored photo's keypoints, and those ORB finds on its 96-pixel thumbnail scaled back up
    (all that earlier photos keep: can keys be backfilled from it?)."""
    kind, seed = task
    picture = Image.open(io.BytesIO(corpus._jpeg(_make(kind, seed))))
    image = _feature_image(picture)
    started = time.perf_counter()
    own = _keypoints(image)
    seconds = time.perf_counter() - started
    thumbnail = fingerprint._features(image).thumbnail
    upscaled = cv2.resize(thumbnail, (image.shape[1], image.shape[0]), interpolation=cv2.INTER_CUBIC)
    return own, _keypoints(upscaled), seconds


# ORB's pyramid steps by 1.2: a copy magnified by a crop lands between two levels, where its
# descriptors differ most; the query can also be taken half a step smaller.
HALF_STEP = 1.2 ** -0.5


def _copy_task(task: tuple[int, str, int]) -> tuple[Keypoints, ...]:
    """An edited copy's keypoints and its mirror image's; then the same half a pyramid step smaller."""
    seed, edit, copy_seed = task
    original = Image.open(io.BytesIO(corpus._jpeg(corpus.natural_scene(seed))))
    copy = corpus._reposted(original, corpus.CLASSES[edit], random.Random(copy_seed))
    image = _feature_image(copy)
    smaller = cv2.resize(image, (round(image.shape[1] * HALF_STEP), round(image.shape[0] * HALF_STEP)),
                         interpolation=cv2.INTER_AREA)
    return tuple(_keypoints(np.ascontiguousarray(side)) for side in (image, image[:, ::-1], smaller, smaller[:, ::-1]))


@dataclass
class Corpus:
    originals: list[Keypoints]
    originals_from_thumbnail: list[Keypoints]
    unrelated: list[Keypoints]
    # class, original, (features, mirrored features, both half a pyramid step smaller)
    copies: list[tuple[str, int, tuple[Keypoints, ...]]]
    training: list[tuple[int, tuple[Keypoints, ...]]]  # original (in training_originals), features as for copies
    training_originals: list[Keypoints]
    orb_seconds: list[float]


def build(args: argparse.Namespace) -> Corpus:
    rnd = random.Random(args.seed)
    scene_seeds = [70_000_000 + n for n in range(args.scenes)]
    training_seeds = [75_000_000 + n for n in range(args.training)]
    stored_tasks = ([("scene", s) for s in scene_seeds] + [("scene", s) for s in training_seeds]
                    + [("scene", 71_000_000 + n) for n in range(args.unrelated * 9 // 10)]
                    + [("screenshot", 72_000_000 + n) for n in range(args.unrelated // 20)]
                    + [("flat", 73_000_000 + n) for n in range(args.unrelated // 20)])
    copy_tasks = [(scene_seeds[rnd.randrange(args.scenes)], name, rnd.randrange(1 << 30))
                  for name in corpus.CLASSES for _ in range(args.per_class)]
    names = list(corpus.CLASSES)
    training_tasks = [(training_seeds[n % args.training], names[rnd.randrange(len(names))], rnd.randrange(1 << 30))
                      for n in range(args.training * 3)]
    with Pool(args.workers) as pool:
        stored = pool.map(_stored_task, stored_tasks, chunksize=4)
        copies = pool.map(_copy_task, copy_tasks + training_tasks, chunksize=4)
    scenes, training = stored[: args.scenes], stored[args.scenes: args.scenes + args.training]
    return Corpus(
        originals=[s[0] for s in scenes],
        originals_from_thumbnail=[s[1] for s in scenes],
        unrelated=[s[0] for s in stored[args.scenes + args.training:]],
        copies=[(name, scene_seeds.index(seed), features)
                for (seed, name, _), features in zip(copy_tasks, copies, strict=False)],
        training=[(training_seeds.index(seed), features)
                  for (seed, _, _), features in zip(training_tasks, copies[len(copy_tasks):], strict=True)],
        training_originals=[s[0] for s in training],
        orb_seconds=[s[2] for s in stored],
    )


# -- which descriptor bits survive the edits --------------------------------------------------


def correspondences(sides: tuple[Keypoints, ...], original: Keypoints) -> tuple[Keypoints, np.ndarray]:
    """The copy's side (own or mirrored features) and its (k, 2) pairs (original's keypoint,
    copy's keypoint) that are RANSAC inliers of the production matcher, whichever side has more."""
    matcher = cv2.BFMatcher(cv2.NORM_HAMMING)
    best: tuple[Keypoints, np.ndarray] = (sides[0], np.zeros((0, 2), int))
    for side in sides[:2]:
        if len(side.bits) < 8 or len(original.bits) < 8:
            continue
        pairs = matcher.knnMatch(np.packbits(side.bits, axis=1), np.packbits(original.bits, axis=1), k=2)
        good = [p[0] for p in pairs if len(p) == 2 and p[0].distance < 0.8 * p[1].distance and p[0].distance < 64]
        if len(good) < 8:
            continue
        source = side.points[[m.queryIdx for m in good]].reshape(-1, 1, 2)
        target = original.points[[m.trainIdx for m in good]].reshape(-1, 1, 2)
        _, mask = cv2.findHomography(source, target, cv2.RANSAC, 6.0, maxIters=500, confidence=0.99)
        if mask is None or mask.sum() <= len(best[1]):
            continue
        best = (side, np.array([(m.trainIdx, m.queryIdx) for m, keep in zip(good, mask.ravel(), strict=True) if keep]))
    return best


def flip_rates(data: Corpus) -> np.ndarray:
    """(256,) how often each descriptor bit differs between a training original's keypoint and
    its match (a RANSAC inlier) in an edited copy."""
    differing, total = np.zeros(256), 0
    for number, sides in data.training:
        original = data.training_originals[number]
        side, pairs = correspondences(sides, original)
        if len(pairs):
            differing += (side.bits[pairs[:, 1]] != original.bits[pairs[:, 0]]).sum(0)
            total += len(pairs)
    return differing / max(total, 1)


def diagnose(data: Corpus) -> None:
    """Per edit class, what any key made from single keypoints has to work with: RANSAC inliers
    between copy and original, how many of the original's 64 strongest central keypoints (what
    is stored) have one, and the share of descriptor bits that differ across inliers."""
    print(f"\n{'edit class':<50} {'inliers p10/p50':>16} {'stored 64 matched p10/p50':>26} {'bits flipped':>13}")
    rows: dict[str, list[tuple[int, int, float]]] = defaultdict(list)
    for name, number, sides in data.copies:
        original = data.originals[number]
        side, pairs = correspondences(sides, original)
        stored = set(original.strongest(64, central=True).tolist())
        flipped = float((side.bits[pairs[:, 1]] != original.bits[pairs[:, 0]]).mean()) if len(pairs) else 1.0
        rows[name].append((len(pairs), sum(1 for i in pairs[:, 0].tolist() if i in stored) if len(pairs) else 0, flipped))
    for name, values in rows.items():
        inliers, matched, flipped = (np.array(column) for column in zip(*values, strict=True))
        print(f"{name:<50} {np.percentile(inliers, 10):>7.0f}/{np.median(inliers):<8.0f}"
              f" {np.percentile(matched, 10):>13.0f}/{np.median(matched):<12.0f} {flipped.mean():>12.1%}")


# -- the variants ---------------------------------------------------------------------------


def _pack(bits: np.ndarray) -> np.ndarray:
    """(..., k) bool -> (...,) int64, first bit highest."""
    return (bits.astype(np.int64) << np.arange(bits.shape[-1] - 1, -1, -1, dtype=np.int64)).sum(-1)


@dataclass(frozen=True)
class Substrings:
    """Multi-index hashing of single descriptors: the N strongest stored keypoints give M keys of
    k bits each (`chunks`: M arrays of bit positions); every query keypoint probes its M keys."""

    label: str
    stored_count: int
    chunks: tuple[np.ndarray, ...]
    query_count: int = 400
    central: bool = False

    def stored(self, features: Keypoints) -> np.ndarray:
        return self._keys(features.bits[features.strongest(self.stored_count, central=self.central)])

    def probes(self, sides: tuple[Keypoints, ...]) -> np.ndarray:
        return np.unique(np.concatenate([self._keys(side.bits[side.strongest(self.query_count)]) for side in sides]))

    def _keys(self, bits: np.ndarray) -> np.ndarray:
        return np.unique(np.concatenate([_pack(bits[:, chunk]) + (number << 56) for number, chunk in enumerate(self.chunks)]))


@dataclass(frozen=True)
class Phrases:
    """A key per pair (i, j) of strong keypoints, j among i's `neighbours` nearest strong ones:
    `first` bits of i's descriptor, `second` bits of j's, their pyramid-level difference
    (clipped to +-2), the difference of their orientations and the direction of i->j relative to
    i's orientation, each in `sectors` bins. The query also probes the nearer neighbouring
    bin of each angle when `spread` is set."""

    label: str
    stored_count: int
    neighbours: int
    first: np.ndarray
    second: np.ndarray
    sectors: int = 8
    query_count: int = 200
    query_neighbours: int = 4
    spread: bool = False
    central: bool = False
    distance_bins: bool = False  # also log2 of the segment's length over i's keypoint size
    partners: int = 0

    def stored(self, features: Keypoints) -> np.ndarray:
        return np.unique(self._keys(features, self.stored_count, self.neighbours, spread=False, central=self.central))

    def probes(self, sides: tuple[Keypoints, ...]) -> np.ndarray:
        return np.unique(np.concatenate([
            self._keys(side, self.query_count, self.query_neighbours, spread=self.spread, central=False)
            for side in sides]))

    def _keys(self, features: Keypoints, count: int, neighbours: int, *, spread: bool, central: bool) -> np.ndarray:
        chosen = features.strongest(count, central=central)
        # Partners among the same strong keypoints, or (`partners`) among that many strongest of
        # all: the same density of keypoints on both sides, whatever `count` is.
        partners = features.strongest(self.partners) if self.partners else chosen
        if len(chosen) < 1 or len(partners) < 2:
            return np.zeros(0, np.int64)
        distance = np.linalg.norm(features.points[chosen][:, None] - features.points[partners][None], axis=-1)
        distance[chosen[:, None] == partners[None]] = np.inf
        near = np.argsort(distance, axis=1)[:, : min(neighbours, len(partners) - 1)]
        a = np.repeat(chosen, near.shape[1])
        b = partners[near.ravel()]
        levels = np.clip(features.octave[b].astype(np.int64) - features.octave[a], -2, 2) + 2
        turn = (features.angle[b] - features.angle[a]) % 360
        delta = features.points[b] - features.points[a]
        bearing = (np.degrees(np.arctan2(delta[:, 1], delta[:, 0])) - features.angle[a]) % 360
        words = (_pack(features.bits[a][:, self.first]) << len(self.second)) | _pack(features.bits[b][:, self.second])
        base = words << 3 | levels
        if self.distance_bins:
            size = 31 * 1.2 ** features.octave[a].astype(np.float64)
            base = base << 3 | np.clip(np.floor(np.log2(np.linalg.norm(delta, axis=1) / size + 1e-9) + 3), 0, 7).astype(np.int64)
        width = 360 / self.sectors
        keys = []
        for turn_bin in self._bins(turn, width, spread):
            for bearing_bin in self._bins(bearing, width, spread):
                keys.append(((base * self.sectors + turn_bin) * self.sectors) + bearing_bin)
        return np.concatenate(keys)

    def _bins(self, angle: np.ndarray, width: float, spread: bool) -> list[np.ndarray]:
        exact = np.floor(angle / width).astype(np.int64) % self.sectors
        if not spread:
            return [exact]
        # The neighbouring bin on the side the angle is nearer to.
        other = np.where(angle / width - np.floor(angle / width) < 0.5, exact - 1, exact + 1) % self.sectors
        return [exact, other]


# -- the measurement --------------------------------------------------------------------------


def evaluate(variant: Substrings | Phrases, data: Corpus, *, thumbnail_backfill: bool = False,
             half_step: bool = False) -> dict[str, object]:
    """`half_step`: the query also probes with the copy's features half a pyramid step smaller."""
    originals = data.originals_from_thumbnail if thumbnail_backfill else data.originals
    stored = originals + data.unrelated
    started = time.perf_counter()
    stored_keys = [variant.stored(features) for features in stored]
    stored_seconds = (time.perf_counter() - started) / len(stored)
    table: dict[int, list[int]] = defaultdict(list)
    for photo, keys in enumerate(stored_keys):
        for key in keys.tolist():
            table[key].append(photo)
    recall: dict[str, list[bool]] = defaultdict(list)
    original_scores: list[tuple[str, int]] = []
    stranger_scores: list[int] = []
    rows, probe_counts, probe_seconds = [], [], []
    for name, number, sides in data.copies:
        started = time.perf_counter()
        probes = variant.probes(sides if half_step else sides[:2])
        probe_seconds.append(time.perf_counter() - started)
        probe_counts.append(len(probes))
        score: dict[int, int] = defaultdict(int)
        for key in probes.tolist():
            for photo in table.get(key, ()):
                score[photo] += 1
        own = score.get(number, 0)
        others = [s for photo, s in score.items() if photo != number]
        rows.append(sum(others))
        # Ties count against the original: the lookup cannot tell them apart.
        recall[name].append(own > 0 and sum(1 for s in others if s >= own) < TOP)
        original_scores.append((name, own))
        stranger_scores.extend(others)
    strangers = len(stored) - 1
    # Expected number of strangers scoring at least the original's score among a million
    # photos, from every copy x unrelated photo pair pooled.
    pooled = np.sort(np.array(stranger_scores + [0] * (len(data.copies) * strangers - len(stranger_scores))))
    at_scale: dict[str, list[bool]] = defaultdict(list)
    for name, own in original_scores:
        share = (len(pooled) - np.searchsorted(pooled, own, "left")) / len(pooled)
        at_scale[name].append(own > 0 and 1_000_000 * share < TOP)
    scale = 1_000_000 / strangers
    return {
        "recall": {name: sum(h) / len(h) for name, h in recall.items()},
        "at_scale": {name: sum(h) / len(h) for name, h in at_scale.items()},
        "keys": float(np.mean([len(k) for k in stored_keys])),
        "keys_max": max(len(k) for k in stored_keys),
        "probes": (float(np.median(probe_counts)), int(max(probe_counts))),
        "rows": (float(np.median(rows)) * scale, float(np.percentile(rows, 99)) * scale),
        "own_score": float(np.median([own for _, own in original_scores])),
        "ms": (stored_seconds * 1000, float(np.median(probe_seconds)) * 1000),
    }


def _report(label: str, result: dict[str, object], *, per_class: bool) -> None:
    recall, at_scale = result["recall"], result["at_scale"]
    worst = min(recall, key=recall.get)  # type: ignore[arg-type]
    worst_scale = min(at_scale, key=at_scale.get)  # type: ignore[arg-type]
    print(f"\n{label}")
    print(f"  keys/photo {result['keys']:.0f} (max {result['keys_max']}), probes p50/max {result['probes'][0]:.0f}/"
          f"{result['probes'][1]}, rows@1M p50 {result['rows'][0]:.0f} p99 {result['rows'][1]:.0f},"
          f" original's hits p50 {result['own_score']:.0f}, keys {result['ms'][0]:.1f} ms + probes {result['ms'][1]:.1f} ms")
    print(f"  top {TOP}: mean {np.mean(list(recall.values())):.1%}, worst {recall[worst]:.1%} ({worst});"
          f" at 1M (estimate): mean {np.mean(list(at_scale.values())):.1%}, worst {at_scale[worst_scale]:.1%}"
          f" ({worst_scale})", flush=True)
    if per_class:
        for name in recall:
            print(f"    {name:<50} {recall[name]:>6.1%} {at_scale[name]:>6.1%}")


def stable_order(rates: np.ndarray, data: Corpus) -> np.ndarray:
    """Bit positions, most stable first, among bits that are set in 40-60 % of the training
    originals' descriptors (a bit that is nearly always 0 is stable but tells photos apart
    no better than a constant), then the rest."""
    ones = np.concatenate([features.bits for features in data.training_originals]).mean(0)
    balanced = np.abs(ones - 0.5) <= 0.1
    order = np.argsort(rates, kind="stable")
    return np.concatenate([order[balanced[order]], order[~balanced[order]]])


def variants(order: np.ndarray, seed: int) -> list[Substrings | Phrases]:
    """The variants measured; `order`: descriptor bits, most stable (and balanced) first."""
    rng = np.random.default_rng(seed)

    def random_bits(count: int) -> np.ndarray:
        return np.sort(rng.choice(256, count, replace=False))

    def stable_bits(count: int, skip: int = 0) -> np.ndarray:
        return np.sort(order[skip: skip + count])

    out: list[Substrings | Phrases] = []
    for n, m, k in ((32, 2, 24), (64, 1, 24), (32, 2, 28), (64, 1, 20)):
        out.append(Substrings(f"substrings N{n} M{m} k{k}, random bits", n, tuple(random_bits(k) for _ in range(m))))
        out.append(Substrings(f"substrings N{n} M{m} k{k}, random bits, central", n,
                              tuple(random_bits(k) for _ in range(m)), central=True))
        out.append(Substrings(f"substrings N{n} M{m} k{k}, stable bits, central", n,
                              tuple(stable_bits(k, i * k) for i in range(m)), central=True))
    for b, spread, distance in ((8, False, False), (10, False, False), (8, True, False), (10, False, True),
                                (12, False, True), (14, False, True)):
        label = f"phrases N32 nn2 b{b} sectors8{' spread' if spread else ''}{' distance' if distance else ''}"
        out.append(Phrases(f"{label}, random bits, central", 32, 2, random_bits(b), random_bits(b), spread=spread,
                           central=True, distance_bins=distance))
        out.append(Phrases(f"{label}, stable bits, central", 32, 2, stable_bits(b), stable_bits(b, b), spread=spread,
                           central=True, distance_bins=distance))
    out.append(Phrases("phrases N21 nn3 b8 sectors8 spread, random bits, central", 21, 3, random_bits(8),
                       random_bits(8), spread=True, central=True))
    out.append(Phrases("phrases N32 nn2 b14 sectors8 distance, random bits, central, partners among 400", 32, 2,
                       random_bits(14), random_bits(14), central=True, distance_bins=True, partners=400))
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--scenes", type=int, default=150, help="stored scenes that are re-posted")
    parser.add_argument("--unrelated", type=int, default=400, help="stored unrelated photos (rows read)")
    parser.add_argument("--per-class", type=int, default=20)
    parser.add_argument("--training", type=int, default=40, help="other scenes whose copies choose the stable bits")
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--seed", type=int, default=14)
    parser.add_argument("--cache", type=Path, default=None, help="pickle of the corpus features, reused if present")
    parser.add_argument("--only", default="", help="run only variants whose label contains this")
    parser.add_argument("--detail", type=int, default=3, help="variants (best worst class) reported per class")
    args = parser.parse_args()
    started = time.perf_counter()
    if args.cache and args.cache.exists():
        data = pickle.loads(args.cache.read_bytes())
    else:
        data = build(args)
        if args.cache:
            args.cache.write_bytes(pickle.dumps(data))
    print(f"{len(data.originals)} scenes, {len(data.unrelated)} unrelated, {len(data.copies)} copies,"
          f" {len(data.training)} training copies; ORB p50 {np.median(data.orb_seconds) * 1000:.0f} ms per photo;"
          f" {time.perf_counter() - started:.0f} s", flush=True)
    rates = flip_rates(data)
    ranked = np.sort(rates)
    print(f"descriptor bit flip rate over training inliers: most stable 32 mean {ranked[:32].mean():.3f},"
          f" median bit {np.median(rates):.3f}, least stable {ranked[-1]:.3f}")
    diagnose(data)
    results = {}
    for variant in variants(stable_order(rates, data), args.seed):
        if args.only in variant.label:
            results[variant.label] = (variant, evaluate(variant, data))
            _report(variant.label, results[variant.label][1], per_class=False)
    # Per class for the variants with the best worst class; and whether their keys could be
    # backfilled from the 96-pixel thumbnail earlier photos keep.
    best = sorted(results.values(), key=lambda item: -min(item[1]["recall"].values()))[: args.detail]
    for variant, result in best:
        _report(f"{variant.label} (per class: top {TOP} in memory, at 1M estimate)", result, per_class=True)
        _report(f"{variant.label}, query also half a pyramid step smaller", evaluate(variant, data, half_step=True),
                per_class=True)
        _report(f"{variant.label}, stored keys from the 96-pixel thumbnail", evaluate(variant, data, thumbnail_backfill=True),
                per_class=False)
    print(f"total {time.perf_counter() - started:.0f} s")


if __name__ == "__main__":
    main()
