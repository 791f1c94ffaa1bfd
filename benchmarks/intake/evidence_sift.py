"""SIFT-descriptor keys for the reuse index (issue 14): an in-memory study, not a timed test.
`evidence_local` keys a DCT of a resampled patch around each SIFT keypoint (scheme G); here the
key is the sign pattern of the keypoint's own SIFT descriptor. Does that find the original of a
re-posted copy among the top 8 of a million photos more often, with fewer keys and less compute?

Per photo: the grey picture at a long side of `side` pixels (a JPEG decoded at a reduced scale
first; config s256zn also stretches its grey levels to mean 128, spread 48); OpenCV SIFT
keypoints of at least `min_size` pixels, the `_KEEP` strongest by response (or, configs
"s256z*", the largest), and their descriptors as RootSIFT (L1-normalised, square root: a normalised gradient histogram,
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
photos. Production (`sigap_intake.photos.keys`, scheme N6) ships its projection fitted once on
seeded generated scenes (`photos/reuse_keys.npz`, by `benchmarks.intake.fit_reuse_keys`).

The corpus and the figures are `evidence_local`'s (same seeds, same 550 stored photos and 480
copies; `evidence_local.specs`); G's row is evaluated here by `evidence_local` itself from its
cache (`--g-cache`), so every row comes from one run. Rows are per lookup, scaled from 549
photos: one row seen in memory counts 1 821 at a million. "stop": keys that more than 2 of the
550 stored photos share are not indexed (a stop-list; one app's screenshots share their chrome).

    nice uv run python -m benchmarks.intake.evidence_sift --workers 2 --cache /tmp/evidence_sift.pkl
        [--g-cache /tmp/evidence_local_A2.pkl] [--schemes S1,S2] [--detail Z5] [--timing 30]

(Only the configs the chosen schemes use are extracted; a cache lacking one gets it added.)

Measured (defaults, seed 14; 2 shared cores under load average ~7). Every row is evaluated from
the cache, so rows from several invocations on one cache agree (V3 gave the same row in 4 runs);
G, S5, V3, Y2, Y4 and Z1-Z5 below come from one run with --g-cache /tmp/evidence_local_A2.pkl.
"stop-list" changes no row's recall; rows are as shown unless noted.

| scheme | worst class 1M | mean 1M | worst in memory | keys/photo | probes | rows@1M p50/p99 | pairs >= 2 hits |
|---|---|---|---|---|---|---|---|
| G (evidence_local) | 85 % | 95.4 % | 90 % | 41.4 | 1 536 | 0 / 3 643 | 2 |
| S4 s256, response rank, 32/96, 2x40 f1 | 35 % | 84.6 % | 80 % | 60.3 | 768 | 1 821 / 40 073 | 150 |
| S5 as S4, size rank | 70 % | 93.8 % | 85 % | 60.3 | 768 | 0 / 1 821 | 0 |
| S7 as S4, 4x4 grid rank | 50 % | 90.2 % | 80 % | 60.3 | 768 | 0 / 7 286 | 11 |
| S6 as S4, response / octave median | 30 % | 82.7 % | 85 % | 60.3 | 768 | 0 / 12 750 | 40 |
| T4 as S5, 2x32 | 85 % | 97.9 % | 90 % | 60.3 | 768 | 0 / 5 464 | 3 |
| T9 as S5, 512 px | 55 % | 91.0 % | 80 % | 61.6 | 768 | 0 / 1 821 | 1 |
| T11 as S5, 2 octave layers | 50 % | 87.1 % | 65 % | 61.2 | 768 | 0 / 0 | 0 |
| V1 as T4, one per place | 90 % | 98.3 % | 95 % | 59.7 | 768 | 0 / 3 643 | 2 |
| V3 as V1, 2x36 f2 | 90 % | 99.0 % | 95 % | 59.7 | 1 536 | 0 / 3 643 | 4 |
| V6 as V3, random projection, stored central10 | 75 % | 94.8 % | 95 % | 59.6 | 1 536 | 1 821 / 21 858 | 107 |
| Y4 s256z (240 largest), 32/64, 2x36 f3 | 95 % | 99.8 % | 95 % | 59.7 | 2 048 | 0 / 5 464 | 2 |
| **Z5 as Y4, 32/48** | **95 %** | **99.8 %** | **95 %** | **59.7** | **1 536** | **0 / 5 464** | **2** |
| Z6 as Z5, random projection | 90 % | 99.0 % | 95 % | 59.6 | 1 536 | 1 821 / 10 929 | 24 |

On a fresh corpus (--seed 15: other scenes, copies, training pictures), the same run of Y2, Z5,
Z6: Z5 worst class 60 % (crop up to 20 % any sides + brightness/contrast; 75 % in memory), crop
any + overlay 80 %, 5 classes at 95 %, mean 96.7 %, rows p99 3 643, 5 pairs >= 2 hits; Y2 worst
70 %, mean 97.9 %, rows p99 1 821; Z6 (random projection) worst 80 %, mean 98.1 %, rows p99 9 107.
So the seed-14 figures below are partly fitted to that corpus by the choice among ~45 variants.
The fix for the class that broke: stretch the grey levels to a fixed mean and spread before SIFT
(config s256zn), so that a contrast change does not move keypoints across SIFT's contrast
threshold. N1 (= Z5 on s256zn), both corpora, with G on each:

| corpus | scheme | worst class 1M | mean 1M | worst in memory | keys/photo | probes | rows@1M p50/p99 | pairs >= 2 hits |
|---|---|---|---|---|---|---|---|---|
| seed 14 | G | 85 % | 95.4 % | 90 % | 41.4 | 1 536 | 0 / 3 643 | 2 |
| seed 14 | Z5 | 95 % | 99.8 % | 95 % | 59.7 | 1 536 | 0 / 5 464 | 2 |
| seed 14 | **N1** | **95 %** | **99.4 %** | **95 %** | **60.4** | **1 536** | **0 / 3 643** | **2** |
| seed 15 | G | 65 % | 90.6 % | 85 % | 41.7 | 1 536 | 0 / 7 286 | 11 |
| seed 15 | Z5 | 60 % | 96.7 % | 75 % | 59.7 | 1 536 | 0 / 3 643 | 5 |
| seed 15 | **N1** | **90 %** | **98.5 %** | **90 %** | **60.3** | **1 536** | **0 / 3 643** | **3** |

A third corpus, --seed 16, drawn after N1 was chosen (and N6, N1 with stored keypoints reaching
into a 10 % border band ranked last, after seeing 14 and 15): N6 worst class 85 % (crop any +
overlay; crop any, crop any + brightness 90 %), mean 98.1 %, in memory 95 %, rows p99 10 929,
17 pairs >= 2 hits, 3 >= 3; N1 worst 70 %, mean 96.0 %, rows p99 10 929; Z5 worst 85 %, mean
99.2 %, rows p99 5 464. So:

| scheme | seed 14 worst / mean | seed 15 worst / mean | seed 16 worst / mean | rows@1M p99 (14 / 15 / 16) |
|---|---|---|---|---|
| G | 85 % / 95.4 % | 65 % / 90.6 % | not run | 3 643 / 7 286 / - |
| Z5 | 95 % / 99.8 % | 60 % / 96.7 % | 85 % / 99.2 % | 5 464 / 3 643 / 5 464 |
| N1 | 95 % / 99.4 % | 90 % / 98.5 % | 70 % / 96.0 % | 3 643 / 3 643 / 10 929 |
| **N6** | **95 % / 99.8 %** | **95 % / 99.6 %** | **85 % / 98.1 %** | **3 643 / 1 821 / 10 929** |

N6 (the unit test's scheme): 60.4 keys, 1 536 probes; per class, seed 14: 23 classes 100 %, crop
any + overlay 95 %; seed 15: 22 at 100 %, crop 10 % left+top and crop any + brightness 95 %. With
20 copies a class a single copy is 5 %: these corpora cannot tell 95 % from 99 %, and the class
figures move by 10-25 points between seeds. Time per upload (--timing 20, load average ~4-6): G
p50 133.9 ms, N1 37.0 ms (0.28 x G), N6 44.6 ms (0.33 x G; it describes all 240 keypoints in the
timing, an upper bound, since its stored keypoints are not simply the largest).

N1 per class: seed 14, 21 classes 100 % and "crop up to 20 % any sides" + overlay, +
brightness/contrast, + resize 95 % each; seed 15, 20 classes 100 %, + mirror 95 %, + overlay,
+ brightness/contrast, + resize 90 % each. Neither corpus meets >= 99 % in every class: what is
left is crops on several sides combined with a second edit. (N2, N1 with 64 queried and 2 flips,
1 024 probes: seed 14 98.1 % / worst 90 %, seed 15 97.1 % / 80 %; N3, N1 with the random
projection: 99.0 % / 90 % and 98.1 % / 85 %, rows p99 10 929 on both.) Fresh screenshots
(N1; the app's screenshots are 20 of the 550 stored): rows at a million p50 9 091 / max 18 182
(seed 14), p50 4 545 / max 30 909 (seed 15); the stop-list does not bring that under budget.

(pairs: of 263 520 copy x unrelated-photo pairs; none has >= 3 hits under Z5.) Z5 per class, at
a million: 100 % in 23 of 24 classes, "crop up to 20 % any sides + overlay" 95 % (one of 20
copies, also missed in memory: it shares too few keys with its original). What made the
difference, in order: ranking keypoints by size instead of response (S4 -> S5: rows p99 40 073 ->
1 821, mean 84.6 -> 93.8 %; strong small keypoints sit on generic blobs and collide, large ones
are distinctive and survive resizing); keying one descriptor per keypoint place on the stored side
(SIFT repeats a place per orientation peak; the lookup probes them all), so 32 descriptors cover
32 places (T4 -> V1: worst 85 -> 90 %); shorter keys with more flips (V1 -> V3); and a pool of the
240 largest keypoints rather than the 240 strongest (pool 120 strongest: mean 81.7 %, 180: 96.7 %,
240: 99.0 %, 240 largest: 99.2 %), which also lets the lookup probe only its 48 largest (Z5).
Did not help: 3 tables of 32-36 bits (V4 96.0 %), storing central keypoints first (U*: in memory
95-100 % but more collisions), 384/512-pixel pictures, 2 octave layers, a random orthogonal
projection (Z6: worst 90 %, 12x the colliding pairs; PCA signs are balanced bits, random ones are
not), a stop-list of keys that more than 2 of the 550 stored photos share (no recall change; a
fresh screenshot of the app 20 stored photos show reads p50 10 909 / max 25 455 rows at a million
without it, p50 10 909 / max 20 000 with it: still over budget; G's was ~110 000 at 5 %).
Mirrors: the descriptor permutation finds mirrored copies as well as a second SIFT pass on the
mirrored picture (S4 vs S11: mirror classes 100 % both, mean 84.6 vs 84.8 %) at no extra SIFT.

Time per upload (JPEG bytes -> keys and probes; --timing 20, one process, methods interleaved per
picture): load average ~3, G p50 98.8 ms, Z5 19.3 ms (0.20 x G), N1 20.7 ms (0.21 x G, p90
32.8 ms); load average ~7, G p50 281 ms, Z5 77 ms (0.27 x G), V3 93 ms (0.33 x G). On a lighter
machine earlier (run 1, --timing 20): G 125 ms, S5 29 ms (0.23 x G); second SIFT pass for mirrors
(S11) 49 ms vs 29 ms with the permutation. The 256-pixel picture is the saving: SIFT doubles
it internally, so it sees what a 512-pixel picture's octaves 0+ see, without the costly doubled
512-pixel octave; decoding the JPEG at reduced scale (draft) saves the full-size decode.
Backfill: the keys need a 256-pixel grey picture (SIFT sizes >= 3 px there); the stored 96-pixel
thumbnail is too small (a 3-pixel keypoint is about one pixel there), so no backfill from it.
"""

from __future__ import annotations

import argparse
import io
import os
import pickle
import random
import statistics
import time
from collections import defaultdict

import numpy as np
from PIL import Image, ImageOps

from benchmarks.intake import evidence as corpus
from benchmarks.intake import evidence_local as local
from benchmarks.intake.evidence_sift_keys import (
    _KEEP,
    CONFIGS,
    Features,
    SiftHasher,
    SiftScheme,
    extract,
    probes,
    stored_keys,
)
from benchmarks.support import map_with_progress, percentile

# -- the run ------------------------------------------------------------------------------------


def _job(job: tuple[str, object, list[str]]) -> tuple[dict[str, Features], Features | None]:
    """One picture's features under the named configs (and, for a copy, of its mirrored picture
    under s256, for the "pass" variant)."""
    kind, spec, names = job
    if kind == "stored":
        make, seed = spec  # type: ignore[misc]
        data = corpus._jpeg(getattr(corpus, make)(seed))
    else:
        _, _, seed, edit_seed = spec  # type: ignore[misc]
        original = Image.open(io.BytesIO(corpus._jpeg(corpus.natural_scene(seed))))
        copy = corpus._reposted(original, corpus.CLASSES[spec[1]], random.Random(edit_seed))  # type: ignore[index]
        data = copy.fp.getvalue()  # the delivered JPEG's bytes (`_reposted` opens them, not yet decoded)
    features = {name: extract(Image.open(io.BytesIO(data)), CONFIGS[name]) for name in names}
    mirrored = None
    if kind == "copy" and "s256" in names:
        mirrored = extract(ImageOps.mirror(Image.open(io.BytesIO(data))), CONFIGS["s256"])
    return features, mirrored


def build(args: argparse.Namespace, names: list[str]) -> dict[str, object]:
    stored, fresh, copies = local.specs(args)
    jobs = [("stored", s, names) for s in stored + fresh] + [("copy", c, names) for c in copies]
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
    hasher = SiftHasher(scheme, training, seed)
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
SCHEMES += [
    SiftScheme("X1", "s256", 32, 96, 2, 36, 2, rank="size", one_per_place=True, pool=120),
    SiftScheme("X2", "s256", 32, 96, 2, 36, 2, rank="size", one_per_place=True, pool=180),
    SiftScheme("X3", "s256", 32, 64, 2, 36, 2, rank="size", one_per_place=True),
    SiftScheme("X4", "s256", 32, 128, 2, 36, 2, rank="size", one_per_place=True),
]
SCHEMES += [
    SiftScheme("Y1", "s256z", 32, 96, 2, 36, 2, rank="size", one_per_place=True),
    SiftScheme("Y2", "s256z", 32, 64, 2, 36, 2, rank="size", one_per_place=True),
    SiftScheme("Y3", "s256z", 32, 96, 2, 34, 2, rank="size", one_per_place=True),
    SiftScheme("Y4", "s256z", 32, 64, 2, 36, 3, rank="size", one_per_place=True),
    SiftScheme("Y5", "s256z", 32, 96, 2, 32, 1, rank="size", one_per_place=True),
]
SCHEMES += [
    SiftScheme("Z1", "s256z", 32, 64, 2, 38, 3, rank="size", one_per_place=True),
    SiftScheme("Z2", "s256z", 32, 56, 2, 36, 3, rank="size", one_per_place=True),
    SiftScheme("Z3", "s256z", 34, 64, 2, 36, 3, rank="size", one_per_place=True),
    SiftScheme("Z4", "s256z", 32, 64, 2, 40, 3, rank="size", one_per_place=True),
    SiftScheme("Z5", "s256z", 32, 48, 2, 36, 3, rank="size", one_per_place=True),
    SiftScheme("Z6", "s256z", 32, 48, 2, 36, 3, rank="size", one_per_place=True, projection="random"),
    SiftScheme("N1", "s256zn", 32, 48, 2, 36, 3, rank="size", one_per_place=True),
    SiftScheme("N2", "s256zn", 32, 64, 2, 36, 2, rank="size", one_per_place=True),
    SiftScheme("N3", "s256zn", 32, 48, 2, 36, 3, rank="size", one_per_place=True, projection="random"),
    SiftScheme("N4", "s256zn", 32, 64, 2, 36, 3, rank="size", one_per_place=True),
    SiftScheme("N5", "s256zn", 32, 48, 2, 34, 3, rank="size", one_per_place=True),
    SiftScheme("N6", "s256zn", 32, 48, 2, 36, 3, rank="size", stored_rank="central10", one_per_place=True),
]
BEST = "N6"  # the scheme the unit test checks


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
        hashers[scheme.name] = SiftHasher(scheme, training, seed)
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
            # As production would: describe only the keypoints the keys and probes use (with a
            # stored order of its own, all `_KEEP`: an upper bound).
            describe = _KEEP if scheme.stored_rank else max(scheme.stored, scheme.queried)
            features = extract(image, CONFIGS[scheme.config], rank=scheme.rank, describe=describe)
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
    wanted = set(filter(None, args.schemes.split(",")))
    chosen = [s for s in SCHEMES if not wanted or s.name in wanted]
    fresh_build = not args.cache or not os.path.exists(args.cache)
    needed = sorted({s.config for s in chosen}) if fresh_build else []
    data = _load(args.cache) if not needed else build(args, needed)
    missing = sorted({s.config for s in chosen} - set(data["stored"][0][1]))
    if missing:  # a cache from before a config was added: extract just those and add them
        more = build(args, missing)
        for part in ("stored", "fresh", "copies"):
            for have, new in zip(data[part], more[part], strict=True):
                have[-2 if part == "copies" else 1].update(new[-2 if part == "copies" else 1])
    if args.cache and (needed or missing):
        with open(args.cache, "wb") as f:
            pickle.dump(data, f)
    print(f"{data['scenes']} scenes + {len(data['stored']) - data['scenes']} unrelated stored, {len(data['copies'])}"
          f" copies, {len(data['fresh'])} fresh lookups; ready in {time.perf_counter() - started:.0f} s")
    for name, config in CONFIGS.items():
        if name not in data["stored"][0][1]:
            continue
        seconds = [f[name].seconds for _, f in data["stored"]] + [f[name].seconds for _, _, f, _ in data["copies"]]
        print(f"  {name} {config}: extraction p50 {statistics.median(seconds) * 1000:.0f} ms (pool of {args.workers},"
              f" {_KEEP} descriptors)")
    detail = set(filter(None, args.detail.split(",")))
    print("\n| scheme | worst class 1M | mean 1M | worst in memory | keys/photo | probes p50/p99 | rows@1M p50/p99"
          " | pairs >= 2 hits | ms: extraction + keys / probes |")
    print("|---|---|---|---|---|---|---|---|---|")
    g_data = _load(args.g_cache) if args.g_cache else None
    if g_data is not None:
        g = next(s for s in local.SCHEMES if s.name == "G")
        result = local.evaluate(g_data, g, args.seed)
        print(_row("G (evidence_local)", result, None), flush=True)
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
