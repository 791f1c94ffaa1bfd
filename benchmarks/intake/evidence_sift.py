"""SIFT-descriptor keys for the reuse index (issue 14): an in-memory study, not a timed test.
`evidence_local` keys a DCT of a resampled patch around each SIFT keypoint (scheme G); here the
key is the sign pattern of the keypoint's own SIFT descriptor. Does that find the original of a
re-posted copy among the top 8 of a million photos more often, with fewer keys and less compute?

Per photo: the grey picture at a long side of `side` pixels (a JPEG decoded at a reduced scale
first); OpenCV SIFT keypoints of at least `min_size` pixels, the strongest `_KEEP` by response,
and their descriptors as RootSIFT (L1-normalised, square root: a normalised gradient histogram,
which brightness and contrast barely move, and which turns with the keypoint's orientation, so a
90/180/270° rotation keeps it). A descriptor is projected on `pcs` directions (the principal
components of the training descriptors, or a seeded random orthogonal projection; both centred
on the training mean), and each of `tables` keys is the signs of a fixed choice of `bits`
projections (the first table: the first `bits`), table number in the high bits. A stored photo
keys its first `stored` descriptors in the scheme's `rank` order; a lookup probes its first
`queried`, per table the key and the key with its `flips` least certain signs (smallest
|projection|) flipped in every combination. Mirrors: SIFT is not mirror-invariant, but the
descriptor of the mirrored picture at the mirrored keypoint is the descriptor with its 4 rows of
cells reversed and its 8 orientation bins negated (checked in the unit test), so a lookup also
probes that permutation of each query descriptor ("permute": no second SIFT pass), or runs SIFT
a second time on the mirrored picture ("pass", measured for the cost).

Training descriptors (PCA, mean) come from the fresh natural scenes, never from the stored
photos: in production the same would be fitted once on a seeded generated corpus and shipped as a
small .npy (128 x 64 float32, 32 KiB), or be the seeded random projection (no file at all).

The corpus and the figures are `evidence_local`'s (same seeds, same 550 stored photos and 480
copies; `evidence_local.specs`); G's row is evaluated here by `evidence_local` itself from its
cache (`--g-cache`), so every row comes from one run. Rows are per lookup, scaled from 549
photos: one row seen in memory counts 1 821 at a million. "stop": keys that more than 2 of the
550 stored photos share are not indexed (a stop-list; one app's screenshots share their chrome).

    nice uv run python -m benchmarks.intake.evidence_sift --workers 2 --cache /tmp/evidence_sift.pkl
        [--g-cache /tmp/evidence_local_A2.pkl] [--schemes S1,S2] [--timing 30]
"""

from __future__ import annotations

import argparse
import io
import itertools
import os
import pickle
import random
import statistics
import time
from collections import defaultdict
from dataclasses import dataclass

import cv2
import numpy as np
from PIL import Image, ImageOps

from benchmarks.intake import evidence as corpus
from benchmarks.intake import evidence_local as local
from benchmarks.support import map_with_progress, percentile

_KEEP = 240  # keypoints (largest response) kept per picture at extraction; schemes take the first of these


@dataclass(frozen=True)
class Config:
    """How a picture's features are extracted."""

    side: int  # long side of the grey picture (SIFT doubles it internally for its first octave)
    layers: int  # SIFT nOctaveLayers
    min_size: float  # smallest keypoint size kept, in pixels at `side`


CONFIGS = {
    "s512": Config(512, 3, 6.0),
    "s384": Config(384, 3, 4.5),
    "s256": Config(256, 3, 3.0),
    "s256l2": Config(256, 2, 3.0),
}


@dataclass
class Features:
    points: np.ndarray  # (k, 2) at the config's side
    sizes: np.ndarray  # (k,)
    responses: np.ndarray  # (k,)
    octaves: np.ndarray  # (k,) SIFT octave (-1 = the doubled picture)
    descriptors: np.ndarray  # (k, 128) uint8, SIFT's own
    shape: tuple[int, int]  # (height, width) of the grey picture
    seconds: float  # decode at reduced scale + grey + resize + detect + describe


def grey_picture(image: Image.Image, side: int) -> np.ndarray:
    """Upright grey picture with long side `side`; a not yet decoded JPEG is decoded at 1/2..1/8
    scale (libjpeg's DCT scaling) when that still leaves at least twice `side`."""
    image.draft("L", (2 * side, 2 * side))
    image = ImageOps.exif_transpose(image)
    pixels = np.asarray(image.convert("L"), dtype=np.uint8)
    height, width = pixels.shape
    scale = side / max(height, width)
    size = (max(1, round(width * scale)), max(1, round(height * scale)))
    return cv2.resize(pixels, size, interpolation=cv2.INTER_AREA if scale < 1 else cv2.INTER_LINEAR)


def extract(image: Image.Image, config: Config, *, keep: int = _KEEP, rank: str = "response",
            describe: int = _KEEP) -> Features:
    """The `keep` strongest keypoints (by response); of these the first `describe` in `rank`
    order are described (all of them by default: the study ranks later)."""
    started = time.perf_counter()
    pixels = grey_picture(image, config.side)
    sift = cv2.SIFT_create(nOctaveLayers=config.layers)
    keypoints = [kp for kp in sift.detect(pixels, None) if kp.size >= config.min_size]
    keypoints = sorted(keypoints, key=lambda kp: -kp.response)[:keep]
    if describe < len(keypoints):
        if rank == "size":
            keypoints = sorted(keypoints, key=lambda kp: -kp.size)
        elif rank != "response":
            raise ValueError("describing a subset is implemented for the response and size orders")
        keypoints = keypoints[:describe]
    keypoints, descriptors = sift.compute(pixels, keypoints) if keypoints else ([], None)
    if descriptors is None:
        descriptors = np.zeros((0, 128), np.float32)
    octave = np.array([kp.octave & 255 for kp in keypoints], np.int16)
    return Features(
        np.array([kp.pt for kp in keypoints], np.float32).reshape(-1, 2),
        np.array([kp.size for kp in keypoints], np.float32),
        np.array([kp.response for kp in keypoints], np.float32),
        np.where(octave >= 128, octave - 256, octave),
        np.clip(np.round(descriptors), 0, 255).astype(np.uint8),
        pixels.shape,
        time.perf_counter() - started,
    )


def _mirror_permutation() -> np.ndarray:
    """Index array: descriptor[perm] is the descriptor of the mirrored picture at the mirrored
    keypoint (OpenCV's layout: 4 rows x 4 columns of cells x 8 orientation bins; a mirror
    reverses the rows of the keypoint's frame and negates every gradient angle)."""
    index = np.arange(128).reshape(4, 4, 8)
    return index[::-1][:, :, (-np.arange(8)) % 8].reshape(-1)


MIRROR = _mirror_permutation()


def root_sift(descriptors: np.ndarray) -> np.ndarray:
    d = descriptors.astype(np.float32)
    return np.sqrt(d / (d.sum(axis=-1, keepdims=True) + 1e-6))


# -- keys and probes ----------------------------------------------------------------------------


@dataclass(frozen=True)
class SiftScheme:
    name: str
    config: str
    stored: int  # descriptors keyed per stored photo
    queried: int  # descriptors probed per lookup (their mirror permutations too)
    tables: int
    bits: int
    flips: int
    projection: str = "pca"  # "pca" or "random"
    rank: str = "response"  # "response", "size", "octave" (response over its octave's median), "grid",
    # "central<percent>" (size, keypoints reaching into the outer percent of a side last)
    stored_rank: str = ""  # the stored photo's order, if not `rank`
    # A stored photo keys one descriptor per keypoint place (SIFT repeats a keypoint once per
    # orientation peak; a lookup probes all of its own).
    one_per_place: bool = False
    mirror: str = "permute"  # "permute", "pass" (a second SIFT pass on the mirrored picture) or "none"
    pcs: int = 64

    def label(self) -> str:
        stored = f" (stored {self.stored_rank})" if self.stored_rank else ""
        return (f"{self.name}: {self.config} {self.projection}{self.pcs}, rank {self.rank}{stored}, {self.stored}/"
                f"{self.queried} desc{', one per place' if self.one_per_place else ''}, {self.tables}x{self.bits} bits,"
                f" flips {self.flips}, mirror {self.mirror}")


class SiftHasher:
    def __init__(self, scheme: SiftScheme, training: np.ndarray, seed: int) -> None:
        """`training`: (n, 128) RootSIFT descriptors of pictures that are not stored."""
        self.scheme = scheme
        rng = np.random.default_rng(seed)
        self.mean = training.mean(axis=0)
        if scheme.projection == "pca":
            _, _, vt = np.linalg.svd(training - self.mean, full_matrices=False)
            self.components = vt[: scheme.pcs].T.astype(np.float32)
        else:
            q, _ = np.linalg.qr(rng.standard_normal((128, 128)))
            self.components = q[:, : scheme.pcs].astype(np.float32)
        self.tables = np.stack([np.arange(scheme.bits)] + [
            np.sort(rng.choice(scheme.pcs, scheme.bits, replace=False)) for _ in range(scheme.tables - 1)])

    def project(self, descriptors: np.ndarray) -> np.ndarray:
        return (root_sift(descriptors) - self.mean) @ self.components


def ranked(features: Features, rank: str) -> np.ndarray:
    """Indexes of the features in the scheme's order of preference."""
    n = len(features.sizes)
    if rank == "response" or n == 0:
        return np.arange(n)
    if rank == "size":
        return np.argsort(-features.sizes, kind="stable")
    if rank.startswith("central"):
        # Largest first, but keypoints whose circle reaches into the outer `band` of any side (what
        # a crop may cut) after all others.
        band = int(rank.removeprefix("central")) / 100
        height, width = features.shape
        x, y, r = features.points[:, 0], features.points[:, 1], features.sizes / 2
        inside = ((x - r >= band * width) & (x + r <= (1 - band) * width)
                  & (y - r >= band * height) & (y + r <= (1 - band) * height))
        return np.lexsort((-features.sizes, ~inside))
    if rank == "octave":
        medians = {o: np.median(features.responses[features.octaves == o]) for o in np.unique(features.octaves)}
        relative = features.responses / np.array([medians[o] for o in features.octaves])
        return np.argsort(-relative, kind="stable")
    # "grid": the strongest of each of 4x4 cells in turn, then the second strongest of each, ...
    height, width = features.shape
    cell = (np.minimum(features.points[:, 1] * 4 // height, 3) * 4 + np.minimum(features.points[:, 0] * 4 // width, 3))
    turn = np.zeros(n, int)
    seen: dict[int, int] = defaultdict(int)
    for i, c in enumerate(cell.astype(int)):  # already strongest first
        turn[i] = seen[c]
        seen[c] += 1
    return np.lexsort((np.arange(n), turn))


def _key_values(bits: np.ndarray, tables: np.ndarray) -> np.ndarray:
    weights = 1 << np.arange(tables.shape[1], dtype=np.int64)
    values = (bits[..., tables].astype(np.int64) * weights).sum(-1)  # (..., tables)
    return values + (np.arange(len(tables), dtype=np.int64) << 48)


def stored_keys(features: Features, hasher: SiftHasher) -> np.ndarray:
    chosen = ranked(features, hasher.scheme.stored_rank or hasher.scheme.rank)
    if hasher.scheme.one_per_place:
        places = np.round(np.column_stack([features.points, features.sizes]), 1)[chosen]
        _, first = np.unique(places, axis=0, return_index=True)
        chosen = chosen[np.sort(first)]
    chosen = chosen[: hasher.scheme.stored]
    projected = hasher.project(features.descriptors[chosen])
    return np.unique(_key_values(projected > 0, hasher.tables).ravel())


def probes(features: Features, hasher: SiftHasher, mirrored: Features | None = None) -> np.ndarray:
    scheme, tables = hasher.scheme, hasher.tables
    chosen = ranked(features, scheme.rank)[: scheme.queried]
    descriptors = features.descriptors[chosen]
    if scheme.mirror == "permute":
        descriptors = np.concatenate([descriptors, descriptors[:, MIRROR]])
    elif scheme.mirror == "pass" and mirrored is not None:
        descriptors = np.concatenate([descriptors, mirrored.descriptors[ranked(mirrored, scheme.rank)[: scheme.queried]]])
    projected = hasher.project(descriptors)
    base = _key_values(projected > 0, tables)  # (n, tables)
    weakest = np.argsort(np.abs(projected)[:, tables], axis=-1)[..., : scheme.flips]  # (n, tables, flips)
    out = [base.ravel()]
    for count in range(1, scheme.flips + 1):
        for combo in itertools.combinations(range(scheme.flips), count):
            mask = np.zeros(base.shape, np.int64)
            for position in combo:
                mask |= np.int64(1) << weakest[..., position].astype(np.int64)
            out.append((base ^ mask).ravel())
    return np.unique(np.concatenate(out))


# -- the run ------------------------------------------------------------------------------------


def _job(job: tuple[str, object]) -> tuple[dict[str, Features], Features | None]:
    """One picture's features under every config (and, for a copy, of its mirrored picture under
    s256, for the "pass" variant)."""
    kind, spec = job
    if kind == "stored":
        make, seed = spec  # type: ignore[misc]
        data = corpus._jpeg(getattr(corpus, make)(seed))
    else:
        _, _, seed, edit_seed = spec  # type: ignore[misc]
        original = Image.open(io.BytesIO(corpus._jpeg(corpus.natural_scene(seed))))
        copy = corpus._reposted(original, corpus.CLASSES[spec[1]], random.Random(edit_seed))  # type: ignore[index]
        data = copy.fp.getvalue()  # the delivered JPEG's bytes (`_reposted` opens them, not yet decoded)
    features = {name: extract(Image.open(io.BytesIO(data)), config) for name, config in CONFIGS.items()}
    mirrored = None
    if kind == "copy":
        mirrored = extract(ImageOps.mirror(Image.open(io.BytesIO(data))), CONFIGS["s256"])
    return features, mirrored


def build(args: argparse.Namespace) -> dict[str, object]:
    stored, fresh, copies = local.specs(args)
    jobs = [("stored", s) for s in stored + fresh] + [("copy", c) for c in copies]
    results = map_with_progress(_job, jobs, workers=args.workers, what="extracted", chunksize=2)
    return {
        "stored": [(kind, r[0]) for (kind, _), r in zip(stored, results, strict=False)],
        "fresh": [(kind, r[0]) for (kind, _), r in zip(fresh, results[len(stored):], strict=False)],
        "copies": [(number, name, r[0], r[1]) for (number, name, _, _), r
                   in zip(copies, results[len(stored) + len(fresh):], strict=True)],
        "scenes": args.scenes,
    }


def evaluate(data: dict, scheme: SiftScheme, seed: int, *, stop: int = 0) -> dict[str, object]:
    """Index the stored photos under `scheme`, look up every copy and fresh photo; the figures
    (as `evidence_local.evaluate`). `stop` > 0: keys of more than `stop` stored photos are not indexed."""
    config = scheme.config
    training = np.concatenate([f[config].descriptors for kind, f in data["fresh"] if kind == "natural_scene"])
    hasher = SiftHasher(scheme, root_sift(training), seed)
    started = time.perf_counter()
    per_photo = [stored_keys(f[config], hasher) for _, f in data["stored"]]
    key_seconds = (time.perf_counter() - started) / len(per_photo)
    keys = np.concatenate(per_photo)
    owners = np.concatenate([np.full(len(k), n, np.int32) for n, k in enumerate(per_photo)])
    if stop:
        values, counts = np.unique(keys, return_counts=True)
        common = values[counts > stop]
        keep = ~np.isin(keys, common)
        keys, owners = keys[keep], owners[keep]
    order = np.argsort(keys, kind="stable")
    keys, owners = keys[order], owners[order]
    photos = len(per_photo)

    def lookup(features: Features, mirrored: Features | None = None) -> tuple[np.ndarray, int, float]:
        t0 = time.perf_counter()
        values = probes(features, hasher, mirrored)
        seconds = time.perf_counter() - t0
        lo, hi = np.searchsorted(keys, values, "left"), np.searchsorted(keys, values, "right")
        counts = hi - lo
        rows = np.repeat(hi - counts.cumsum(), counts) + np.arange(counts.sum()) if counts.sum() else np.zeros(0, int)
        return np.bincount(owners[rows], minlength=photos), len(values), seconds

    in_top: dict[str, list[bool]] = defaultdict(list)
    original_scores, other_scores, rows_read, probe_counts, probe_seconds = [], [], [], [], []
    false_top = 0
    for number, name, features, mirrored in data["copies"]:
        scores, count, seconds = lookup(features[config], mirrored)
        probe_counts.append(count)
        probe_seconds.append(seconds)
        mine = int(scores[number])
        others = np.delete(scores, number)
        rows_read.append(int(others.sum()) * 1_000_000 / (photos - 1))
        other_scores.append(others)
        original_scores.append((name, mine))
        in_top[name].append(mine > 0 and int((others > mine).sum()) + 0.5 * int((others == mine).sum()) < 8)
        top = np.argsort(-scores, kind="stable")[:8]
        false_top += int(sum(1 for t in top if t != number and scores[t] >= 2))
    pooled = np.sort(np.concatenate(other_scores))
    at_million: dict[str, list[bool]] = defaultdict(list)
    for name, mine in original_scores:
        above = len(pooled) - np.searchsorted(pooled, mine, "right")
        ties = np.searchsorted(pooled, mine, "right") - np.searchsorted(pooled, mine, "left")
        at_million[name].append(mine > 0 and 1_000_000 * (above + 0.5 * ties) / len(pooled) < 8)
    fresh_rows: dict[str, list[float]] = defaultdict(list)
    fresh_false = 0
    for kind, features in data["fresh"]:
        if kind == "natural_scene":
            continue  # the training pictures
        scores, _, _ = lookup(features[config])
        fresh_rows[kind].append(int(scores.sum()) * 1_000_000 / photos)
        fresh_false += int((np.sort(scores)[-8:] >= 2).sum())
    return {
        "in_memory": {name: sum(v) / len(v) for name, v in in_top.items()},
        "million": {name: sum(v) / len(v) for name, v in at_million.items()},
        "keys": statistics.mean(len(k) for k in per_photo),
        "keys_max": max(len(k) for k in per_photo),
        "probes": (statistics.median(probe_counts), percentile(probe_counts, 0.99)),
        "rows": (statistics.median(rows_read), percentile(rows_read, 0.99)),
        "fresh_rows": {kind: (statistics.median(v), max(v)) for kind, v in fresh_rows.items()},
        "false_top": false_top,
        "fresh_false": fresh_false,
        "pairs": len(pooled),
        "pairs_2": int((pooled >= 2).sum()),
        "pairs_3": int((pooled >= 3).sum()),
        "seconds": (key_seconds, statistics.median(probe_seconds)),
    }


def _row(label: str, result: dict, extraction_ms: float | None) -> str:
    million, memory = result["million"], result["in_memory"]
    worst = min(million, key=million.get)
    probes_p50, probes_p99 = result["probes"]
    rows_p50, rows_p99 = result["rows"]
    keys_ms, probe_ms = (s * 1000 for s in result["seconds"])
    extraction = f"{extraction_ms:.0f}" if extraction_ms is not None else "-"
    return (f"| {label} | {million[worst]:.0%} ({worst}) | {statistics.mean(million.values()):.1%} |"
            f" {min(memory.values()):.0%} | {result['keys']:.1f} | {probes_p50:.0f}/{probes_p99:.0f} |"
            f" {rows_p50:.0f} / {rows_p99:.0f} | {result['pairs_2']} | {extraction} + {keys_ms:.1f} / {probe_ms:.1f} |")


def _detail(result: dict) -> None:
    for name in result["million"]:
        print(f"    {name:<52} top 8 of stored {result['in_memory'][name]:6.1%}   at 1M (est.) {result['million'][name]:6.1%}")
    fresh = ", ".join(f"{kind} p50 {p50:.0f} / max {top:.0f}" for kind, (p50, top) in result["fresh_rows"].items())
    print(f"    rows @1M for fresh lookups: {fresh}; unrelated in a copy's top 8 with >= 2 hits:"
          f" {result['false_top']}, in a fresh photo's: {result['fresh_false']}; pairs >= 3 hits: {result['pairs_3']}"
          f" of {result['pairs']}")


SCHEMES = [
    SiftScheme("S1", "s512", 32, 48, 2, 40, 1),
    SiftScheme("S2", "s256", 32, 48, 2, 40, 1),
    SiftScheme("S3", "s256", 32, 48, 2, 40, 1, projection="random"),
    SiftScheme("S4", "s256", 32, 96, 2, 40, 1),
    SiftScheme("S5", "s256", 32, 96, 2, 40, 1, rank="size"),
    SiftScheme("S6", "s256", 32, 96, 2, 40, 1, rank="octave"),
    SiftScheme("S7", "s256", 32, 96, 2, 40, 1, rank="grid"),
    SiftScheme("S8", "s256", 21, 96, 3, 32, 1),
    SiftScheme("S9", "s256l2", 32, 96, 2, 40, 1),
    SiftScheme("S10", "s384", 32, 96, 2, 40, 1),
    SiftScheme("S11", "s256", 32, 96, 2, 40, 1, mirror="pass"),
    SiftScheme("S12", "s256", 64, 96, 1, 40, 1),
]
SCHEMES += [
    SiftScheme("T2", "s256", 32, 160, 2, 40, 1, rank="size"),
    SiftScheme("T3", "s256", 32, 96, 2, 36, 1, rank="size"),
    SiftScheme("T4", "s256", 32, 96, 2, 32, 1, rank="size"),
    SiftScheme("T5", "s256", 32, 96, 2, 40, 2, rank="size"),
    SiftScheme("T6", "s256", 21, 96, 3, 32, 1, rank="size"),
    SiftScheme("T7", "s256", 64, 96, 1, 36, 1, rank="size"),
    SiftScheme("T8", "s384", 32, 96, 2, 40, 1, rank="size"),
    SiftScheme("T9", "s512", 32, 96, 2, 40, 1, rank="size"),
    SiftScheme("T10", "s256", 32, 96, 2, 40, 1, rank="size", projection="random"),
    SiftScheme("T11", "s256l2", 32, 96, 2, 40, 1, rank="size"),
    SiftScheme("T12", "s256", 32, 240, 2, 36, 1, rank="size"),
]
SCHEMES += [
    SiftScheme("U1", "s256", 32, 96, 2, 32, 1, rank="size", stored_rank="central10"),
    SiftScheme("U2", "s256", 32, 96, 2, 32, 1, rank="size", stored_rank="central20"),
    SiftScheme("U3", "s256", 32, 96, 2, 36, 2, rank="size"),
    SiftScheme("U4", "s256", 32, 96, 2, 36, 2, rank="size", stored_rank="central10"),
    SiftScheme("U5", "s256", 32, 96, 2, 40, 2, rank="size", stored_rank="central10"),
    SiftScheme("U6", "s256", 32, 96, 2, 32, 2, rank="size"),
    SiftScheme("U7", "s256", 32, 128, 2, 32, 1, rank="size", stored_rank="central10"),
    SiftScheme("U8", "s256", 32, 96, 2, 28, 1, rank="size", stored_rank="central10"),
]
SCHEMES += [
    SiftScheme("V1", "s256", 32, 96, 2, 32, 1, rank="size", one_per_place=True),
    SiftScheme("V2", "s256", 32, 96, 2, 36, 2, rank="size", stored_rank="central10", one_per_place=True),
    SiftScheme("V3", "s256", 32, 96, 2, 36, 2, rank="size", one_per_place=True),
    SiftScheme("V4", "s256", 21, 96, 3, 36, 1, rank="size", stored_rank="central10", one_per_place=True),
    SiftScheme("V5", "s256", 32, 96, 2, 34, 2, rank="size", stored_rank="central5", one_per_place=True),
    SiftScheme("V6", "s256", 32, 96, 2, 36, 2, rank="size", stored_rank="central10", one_per_place=True,
               projection="random"),
]
SCHEMES += [
    SiftScheme("W1", "s256", 32, 96, 2, 34, 2, rank="size", one_per_place=True),
    SiftScheme("W2", "s256", 32, 64, 2, 36, 3, rank="size", one_per_place=True),
    SiftScheme("W3", "s256", 32, 96, 2, 38, 2, rank="size", one_per_place=True),
    SiftScheme("W4", "s256", 32, 96, 2, 30, 1, rank="size", one_per_place=True),
    SiftScheme("W5", "s256", 34, 96, 2, 36, 2, rank="size", one_per_place=True),
    SiftScheme("W6", "s384", 32, 96, 2, 36, 2, rank="size", one_per_place=True),
    SiftScheme("W7", "s256l2", 32, 96, 2, 36, 2, rank="size", one_per_place=True),
]
BEST = "V3"  # the scheme the unit test checks


class _Unpickler(pickle.Unpickler):
    """Caches written by `python -m` name their classes `__main__.X`."""

    def find_class(self, module: str, name: str) -> object:
        if module == "__main__" and name in ("Patches", "Features"):
            return local.Patches if name == "Patches" else Features
        return super().find_class(module, name)


def _load(path: str) -> dict:
    with open(path, "rb") as f:
        return _Unpickler(f).load()


def timing(count: int, schemes: list[SiftScheme], data: dict, g_data: dict | None, seed: int) -> None:
    """Per upload from its JPEG bytes, on `count` fresh scenes, one process, methods interleaved
    per picture so that load on the machine hits them alike: features + stored keys + probes."""
    g = next(s for s in local.SCHEMES if s.name == "G")
    g_hasher = None
    if g_data is not None:
        g_hasher = local.Hasher(g, [p for kind, p in g_data["fresh"] if kind == "natural_scene"], seed)
    hashers = {}
    for scheme in schemes:
        training = np.concatenate([f[scheme.config].descriptors for kind, f in data["fresh"] if kind == "natural_scene"])
        hashers[scheme.name] = SiftHasher(scheme, root_sift(training), seed)
    samples: dict[str, list[float]] = defaultdict(list)
    for n in range(count):
        jpeg = corpus._jpeg(corpus.natural_scene(seed * 1_000_000 + 700_000 + n))
        if g_hasher is not None:
            t0 = time.perf_counter()
            patches = local.extract(Image.open(io.BytesIO(jpeg)))
            local.stored_keys(patches, g_hasher)
            local.probes(patches, g_hasher)
            samples["G"].append(time.perf_counter() - t0)
        for scheme in schemes:
            t0 = time.perf_counter()
            image = Image.open(io.BytesIO(jpeg))
            # As production would: describe only the keypoints the keys and probes use.
            features = extract(image, CONFIGS[scheme.config], rank=scheme.rank, describe=max(scheme.stored, scheme.queried))
            mirrored = None
            if scheme.mirror == "pass":
                upright = Image.open(io.BytesIO(jpeg))
                upright.draft("L", (2 * CONFIGS[scheme.config].side,) * 2)
                mirrored = extract(ImageOps.mirror(upright), CONFIGS[scheme.config], rank=scheme.rank, describe=scheme.queried)
            stored_keys(features, hashers[scheme.name])
            probes(features, hashers[scheme.name], mirrored)
            samples[scheme.name].append(time.perf_counter() - t0)
    base = statistics.median(samples["G"]) if "G" in samples else None
    print(f"\ntime per upload (decode + features + stored keys + probes), {count} pictures, one process:")
    for name, values in samples.items():
        ratio = f", {statistics.median(values) / base:.2f} x G" if base else ""
        print(f"  {name:<4} p50 {statistics.median(values) * 1000:6.1f} ms, p90 {percentile(values, 0.9) * 1000:6.1f} ms{ratio}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--scenes", type=int, default=150, help="stored scenes that are re-posted")
    parser.add_argument("--unrelated", type=int, default=400, help="further stored photos, never re-posted")
    parser.add_argument("--fresh", type=int, default=40)
    parser.add_argument("--per-class", type=int, default=20)
    parser.add_argument("--seed", type=int, default=14)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--cache", help="keep the extracted features in this file between runs")
    parser.add_argument("--g-cache", help="evidence_local's cache (same corpus arguments): G's row from it")
    parser.add_argument("--schemes", default="", help="comma-separated scheme names (default: all)")
    parser.add_argument("--detail", default="", help="schemes whose per-class table is printed")
    parser.add_argument("--timing", type=int, default=0, help="time this many uploads per scheme (and G)")
    args = parser.parse_args()
    started = time.perf_counter()
    if args.cache and os.path.exists(args.cache):
        data = _load(args.cache)
    else:
        data = build(args)
        if args.cache:
            with open(args.cache, "wb") as f:
                pickle.dump(data, f)
    print(f"{data['scenes']} scenes + {len(data['stored']) - data['scenes']} unrelated stored, {len(data['copies'])}"
          f" copies, {len(data['fresh'])} fresh lookups; ready in {time.perf_counter() - started:.0f} s")
    for name, config in CONFIGS.items():
        seconds = [f[name].seconds for _, f in data["stored"]] + [f[name].seconds for _, _, f, _ in data["copies"]]
        print(f"  {name} {config}: extraction p50 {statistics.median(seconds) * 1000:.0f} ms (pool of {args.workers},"
              f" {_KEEP} descriptors)")
    wanted = set(filter(None, args.schemes.split(",")))
    detail = set(filter(None, args.detail.split(",")))
    print("\n| scheme | worst class 1M | mean 1M | worst in memory | keys/photo | probes p50/p99 | rows@1M p50/p99"
          " | pairs >= 2 hits | ms: extraction + keys / probes |")
    print("|---|---|---|---|---|---|---|---|---|")
    g_data = _load(args.g_cache) if args.g_cache else None
    if g_data is not None:
        g = next(s for s in local.SCHEMES if s.name == "G")
        result = local.evaluate(g_data, g, args.seed)
        print(_row("G (evidence_local)", result, None), flush=True)
    chosen = [s for s in SCHEMES if not wanted or s.name in wanted]
    for scheme in chosen:
        result = evaluate(data, scheme, args.seed)
        print(_row(scheme.label(), result, None), flush=True)
        stopped = evaluate(data, scheme, args.seed, stop=2)
        print(_row("  + stop-list", stopped, None), flush=True)
        if scheme.name in detail:
            _detail(result)
            print("   with the stop-list:")
            _detail(stopped)
    if args.timing:
        timing(args.timing, chosen, data, g_data, args.seed)
    print(f"\ntotal {time.perf_counter() - started:.0f} s")


if __name__ == "__main__":
    main()
