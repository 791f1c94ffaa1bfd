"""Could exact keys replace the band probes of the view-hash index? An in-memory study, not a
timed test: for the production views (`fingerprint.views()`) of generated scenes and for edited
copies of them (`benchmarks.intake.evidence`), it reports per lookup scheme the share of copies
per edit class whose original shares at least one probed key (the candidate recall such an
index could reach), the index probes per lookup, and the rows a lookup would read among
unrelated photos, scaled linearly to a million stored photos. It also prints how far (in bits)
the nearest view of the true original is from a copy's query hashes, against the nearest view of
any unrelated photo: the margin a 64-bit hash leaves at scale, and from it an estimate of how
often the original would still be among the nearest candidates with 100 000 and 1 000 000
photos stored, whatever the index.

A scheme: K keys, each a fixed random choice of b of the 64 hash bits (an exact B-tree key), and
on the query side the f least certain bits of each key (DCT coefficients nearest the median)
flipped in every combination; query crops as in production (6) or a 3x3x3x3 grid (81).

    uv run python -m benchmarks.intake.evidence_keys [--scenes 200] [--unrelated 400] [--per-class 20]
"""

from __future__ import annotations

import argparse
import io
import itertools
import random
import time
from collections import defaultdict

import cv2
import numpy as np
from PIL import Image

from benchmarks.intake import evidence as corpus
from sigap_intake.photos import evidence, fingerprint

_SIDE = fingerprint._HASH_SIDE


def _hash_base(image: Image.Image) -> np.ndarray:
    """The 256-pixel grey picture the production hashes are cut from (`fingerprint.fingerprint`)."""
    return fingerprint._shrunk(fingerprint.upright_grey(image), 8 * _SIDE)


def _coefficients(square: np.ndarray) -> np.ndarray:
    """The 64 low DCT coefficients a pHash compares with their median (`fingerprint._phashes`)."""
    return cv2.dct(np.ascontiguousarray(square).astype(np.float32))[:8, :8].flatten()


def _square(pixels: np.ndarray, cut: tuple[float, float, float, float]) -> np.ndarray:
    return cv2.resize(fingerprint._cut(pixels, cut), (_SIDE, _SIDE), interpolation=cv2.INTER_AREA)


def stored_bits(base: np.ndarray) -> np.ndarray:
    """(views, 64) bits of the stored views, as production stores them."""
    coefficients = np.stack([_coefficients(_square(base, view)) for view in fingerprint.views()])
    return coefficients > np.median(coefficients, axis=1, keepdims=True)


def query_bits(base: np.ndarray, cuts: list[tuple[float, float, float, float]]) -> tuple[np.ndarray, np.ndarray]:
    """(queries, 64) bits and their certainty (distance of the coefficient from the median)."""
    coefficients = np.stack([
        _coefficients(variant) for cut in cuts for variant in fingerprint.dihedral(_square(base, cut))
    ])
    median = np.median(coefficients, axis=1, keepdims=True)
    return coefficients > median, np.abs(coefficients - median)


_DENSE_CUTS = list(itertools.product((0.0, 0.05, 0.1), repeat=4))


def _key_values(bits: np.ndarray, keys: list[np.ndarray]) -> np.ndarray:
    """(..., K) exact key values: key number in the high bits, the chosen hash bits below."""
    out = []
    for number, key in enumerate(keys):
        weights = (1 << np.arange(len(key), dtype=np.int64))
        out.append((bits[..., key].astype(np.int64) * weights).sum(-1) + (number << 40))
    return np.stack(out, -1)


def _probes(bits: np.ndarray, certainty: np.ndarray, keys: list[np.ndarray], flips: int) -> np.ndarray:
    values = []
    for query in range(len(bits)):
        for number, key in enumerate(keys):
            base = int((bits[query, key].astype(np.int64) * (1 << np.arange(len(key), dtype=np.int64))).sum())
            base += number << 40
            weakest = np.argsort(certainty[query, key])[:flips]
            for count in range(flips + 1):
                for combo in itertools.combinations(weakest, count):
                    value = base
                    for position in combo:
                        value ^= 1 << int(position)
                    values.append(value)
    return np.unique(np.array(values, dtype=np.int64))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--scenes", type=int, default=200, help="stored scenes that are re-posted")
    parser.add_argument("--unrelated", type=int, default=400, help="stored unrelated photos (rows read)")
    parser.add_argument("--per-class", type=int, default=20)
    parser.add_argument("--seed", type=int, default=14)
    args = parser.parse_args()
    rnd = random.Random(args.seed)
    started = time.perf_counter()
    originals = [corpus._jpeg(corpus.natural_scene(60_000_000 + n)) for n in range(args.scenes)]
    stored = [stored_bits(_hash_base(Image.open(io.BytesIO(data)))) for data in originals]
    unrelated_pictures = (
        [corpus.natural_scene(61_000_000 + n) for n in range(args.unrelated * 9 // 10)]
        + [corpus.screenshot(62_000_000 + n) for n in range(args.unrelated // 20)]
        + [corpus.flat_picture(63_000_000 + n) for n in range(args.unrelated // 20)]
    )
    unrelated = np.stack([stored_bits(_hash_base(Image.open(io.BytesIO(corpus._jpeg(p))))) for p in unrelated_pictures])
    copies = []
    for name, edit in corpus.CLASSES.items():
        for _ in range(args.per_class):
            number = rnd.randrange(args.scenes)
            copies.append((name, number, _hash_base(corpus._reposted(Image.open(io.BytesIO(originals[number])), edit, rnd))))
    print(f"{args.scenes} scenes, {len(unrelated)} unrelated photos, {len(copies)} copies in"
          f" {time.perf_counter() - started:.0f} s", flush=True)

    production_cuts = list(fingerprint._QUERY_CUTS)
    queries = {"production crops": [query_bits(base, production_cuts) for _, _, base in copies]}

    print("\nnearest view (bits of 64) over all query hashes x views, production query crops:")
    nearest_true: dict[str, list[int]] = defaultdict(list)
    original_distance: list[tuple[str, int]] = []
    nearest_unrelated: list[int] = []
    flat_unrelated = unrelated.reshape(-1, 64)
    for (name, number, _), (bits, _) in zip(copies, queries["production crops"], strict=True):
        distance = int((bits[:, None, :] != stored[number][None]).sum(-1).min())
        nearest_true["any-side crops" if "any sides" in name else "other edits"].append(distance)
        original_distance.append((name, distance))
        per_photo = (bits[:, None, :] != flat_unrelated[None]).sum(-1).min(0).reshape(len(unrelated), -1).min(1)
        nearest_unrelated.extend(per_photo.tolist())
    for label, values in nearest_true.items():
        print(f"  copies, {label:<16} p50 {np.percentile(values, 50):4.0f}  p90 {np.percentile(values, 90):4.0f}"
              f"  p99 {np.percentile(values, 99):4.0f}  max {max(values)}")
    print(f"  unrelated photo         min {min(nearest_unrelated)}  p0.1 {np.percentile(nearest_unrelated, 0.1):.0f}"
          f"  p1 {np.percentile(nearest_unrelated, 1):.0f}  p50 {np.percentile(nearest_unrelated, 50):.0f}"
          f"  (per photo, over {len(nearest_unrelated)} copy x photo pairs)")

    # The lookup keeps the MAX_CANDIDATES nearest photos, whatever the index: with many stored
    # photos, unrelated ones nearer than the original push it out. Expected count of unrelated
    # photos nearer than the original (ties count half), from the distances measured above.
    ordered = np.sort(np.array(nearest_unrelated))
    for photos in (100_000, 1_000_000):
        kept: dict[str, list[bool]] = defaultdict(list)
        for name, distance in original_distance:
            nearer = np.searchsorted(ordered, distance, "left") + 0.5 * (
                np.searchsorted(ordered, distance, "right") - np.searchsorted(ordered, distance, "left"))
            kept[name].append(photos * nearer / len(ordered) < evidence.MAX_CANDIDATES)
        shares = {name: sum(k) / len(k) for name, k in kept.items()}
        worst = min(shares, key=shares.get)  # type: ignore[arg-type]
        print(f"  original still among the {evidence.MAX_CANDIDATES} nearest with {photos:,} photos stored (estimate):"
              f" all copies {sum(sum(k) for k in kept.values()) / len(original_distance):.1%},"
              f" worst class {shares[worst]:.1%} ({worst})")

    queries["dense crops (81)"] = [query_bits(base, _DENSE_CUTS) for _, _, base in copies]
    key_rnd = np.random.default_rng(args.seed)
    schemes = [("production crops", k, b, f) for k, b, f in ((4, 24, 0), (8, 28, 0), (8, 28, 2), (16, 28, 2), (16, 32, 3))]
    schemes += [("dense crops (81)", k, b, f) for k, b, f in ((8, 28, 0), (8, 28, 2), (16, 32, 2))]
    scale = 1_000_000 / len(unrelated)
    print(f"\n{'scheme':<44} {'mean':>6} {'worst':>6}  worst class                     probes  rows@1M p50/p99")
    for crops, key_count, key_bits, flips in schemes:
        keys = [np.sort(key_rnd.choice(64, key_bits, replace=False)) for _ in range(key_count)]
        table_values, table_counts = np.unique(_key_values(unrelated, keys).ravel(), return_counts=True)
        hits: dict[str, list[bool]] = defaultdict(list)
        rows, probe_counts = [], []
        for (name, number, _), (bits, certainty) in zip(copies, queries[crops], strict=True):
            probes = _probes(bits, certainty, keys, flips)
            probe_counts.append(len(probes))
            positions = np.searchsorted(table_values, probes).clip(0, len(table_values) - 1)
            rows.append(int(table_counts[positions][table_values[positions] == probes].sum()))
            hits[name].append(bool(np.isin(probes, _key_values(stored[number], keys).ravel()).any()))
        shares = {name: sum(h) / len(h) for name, h in hits.items()}
        worst = min(shares, key=shares.get)  # type: ignore[arg-type]
        mean = sum(sum(h) for h in hits.values()) / len(copies)
        label = f"{crops}, {key_count} keys x {key_bits} bits, flips {flips}"
        print(f"{label:<44} {mean:>6.1%} {shares[worst]:>6.1%}  {worst[:30]:<30} {np.median(probe_counts):>7.0f}"
              f"  {np.median(rows) * scale:>7.0f}/{np.percentile(rows, 99) * scale:.0f}", flush=True)
    print(f"total {time.perf_counter() - started:.0f} s")


if __name__ == "__main__":
    main()
