"""The reuse confirmation alone (`fingerprint.confirm`), measured on pairs without the index: each
copy against the photo it came from, and pairs that must never be confirmed (two screenshots of
one app, unrelated scenes). It prints what the thresholds in `fingerprint` are set against: per
edit class the copies missed, and for each kind of pair the highest inliers and (detail)
agreement any pass reached, so a threshold's margin on both sides is visible.

Same corpus generators and edits as `benchmarks.intake.evidence`, from a fixed seed.

    uv run python -m benchmarks.intake.confirmation [--scenes 200] [--per-class 30] [--seed 14]
"""

from __future__ import annotations

import argparse
import io
import random
import statistics
import time
from collections import defaultdict

import numpy as np
from PIL import Image

from benchmarks.intake.evidence import CLASSES, _jpeg, _reposted, natural_scene, screenshot
from benchmarks.support import percentile
from sigap_intake.photos import fingerprint


def _print_of(picture: Image.Image) -> fingerprint.Fingerprint:
    return fingerprint.fingerprint(Image.open(io.BytesIO(_jpeg(picture))))


def _passes(new: fingerprint.Fingerprint, earlier: fingerprint.StoredFeatures) -> list[fingerprint.Confirmation]:
    """Both passes (as is, mirrored), whatever confirm() would stop at: the worst case of a pair."""
    return [fingerprint._confirm_one(new.features(mirrored=mirrored), earlier, mirrored=mirrored)
            for mirrored in (False, True)]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--scenes", type=int, default=200)
    parser.add_argument("--per-class", type=int, default=30)
    parser.add_argument("--screenshots", type=int, default=20, help="of one app; every pair of them is compared")
    parser.add_argument("--unrelated", type=int, default=10, help="stored scenes each new scene is compared with")
    parser.add_argument("--seed", type=int, default=14)
    args = parser.parse_args()
    rnd = random.Random(args.seed)
    started = time.perf_counter()
    originals = [_jpeg(natural_scene(args.seed * 1_000_000 + i)) for i in range(args.scenes)]
    stored = [fingerprint.fingerprint(Image.open(io.BytesIO(data))).stored for data in originals]
    print(f"{args.scenes} scenes stored in {time.perf_counter() - started:.0f} s", flush=True)

    missed: dict[str, int] = defaultdict(int)
    confirmed_copies: list[fingerprint.Confirmation] = []
    seconds: list[float] = []
    for name, edit in CLASSES.items():
        for _ in range(args.per_class):
            number = rnd.randrange(args.scenes)
            new = fingerprint.fingerprint(_reposted(Image.open(io.BytesIO(originals[number])), edit, rnd))
            began = time.perf_counter()
            seen = fingerprint.confirm(new, stored[number])
            seconds.append(time.perf_counter() - began)
            if seen.strength == "strong":
                confirmed_copies.append(seen)
            else:
                missed[name] += 1
                print(f"  missed {name:<48} inliers {seen.inliers}/{seen.matches} coverage {seen.coverage:.2f}"
                      f" agreement {seen.agreement:.2f} detail {seen.detail_agreement:.2f}")

    shots = [_print_of(screenshot(args.seed * 1_000_000 + 500_000 + i)) for i in range(args.screenshots)]
    negatives: dict[str, list[fingerprint.Confirmation]] = {
        "screenshots of one app": [seen for a in range(len(shots)) for b in range(len(shots)) if a != b
                                   for seen in _passes(shots[a], shots[b].stored)],
        "unrelated scenes": [],
    }
    for i in range(args.scenes // 2):
        new = _print_of(natural_scene(args.seed * 1_000_000 + 800_000 + i))
        for number in rnd.sample(range(args.scenes), args.unrelated):
            negatives["unrelated scenes"] += _passes(new, stored[number])

    total = sum(args.per_class for _ in CLASSES)
    print()
    print(f"copies confirmed: {total - sum(missed.values())}/{total}; by class missed: {dict(missed) or 'none'}")
    details = [seen.detail_agreement for seen in confirmed_copies]
    print(f"  confirmed copies' detail agreement: p1 {np.percentile(details, 1):.2f}, lowest {min(details):.2f}"
          f" (MIN_DETAIL_AGREEMENT {fingerprint.MIN_DETAIL_AGREEMENT})")
    explained = [seen for seen in confirmed_copies if seen.inliers >= fingerprint.EXPLAINED_RATIO * seen.matches]
    print(f"  confirmed copies with inlier ratio >= EXPLAINED_RATIO {fingerprint.EXPLAINED_RATIO}: {len(explained)};"
          f" lowest agreement {min((s.agreement for s in explained), default=0):.2f},"
          f" detail {min((s.detail_agreement for s in explained), default=0):.2f}")
    print(f"  time per confirm (copy): p50 {statistics.median(seconds) * 1000:.1f} ms,"
          f" p99 {percentile(seconds, 0.99) * 1000:.1f} ms")
    for kind, passes in negatives.items():
        strong = sum(seen.strength == "strong" for seen in passes)
        counted = [seen for seen in passes if seen.inliers >= fingerprint.MIN_INLIERS]
        print(f"{kind}: {len(passes)} passes, {strong} confirmed; highest inliers {max(s.inliers for s in passes)};"
              f" of the {len(counted)} passes with >= {fingerprint.MIN_INLIERS} inliers, highest agreement"
              f" {max((s.agreement for s in counted), default=0):.2f}, detail agreement"
              f" {max((s.detail_agreement for s in counted), default=0):.2f}, inlier ratio"
              f" {max((s.inliers / s.matches for s in counted), default=0):.2f}")
        cropped = [s for s in counted if s.inliers >= fingerprint.CROPPED_MIN_RATIO * s.matches
                   and s.coverage >= fingerprint.MIN_COVERAGE]
        print(f"  of those, {len(cropped)} with inlier ratio >= CROPPED_MIN_RATIO {fingerprint.CROPPED_MIN_RATIO} and"
              f" coverage >= {fingerprint.MIN_COVERAGE}: highest of the lower agreement"
              f" {max((min(s.agreement, s.detail_agreement) for s in cropped), default=0):.2f}"
              f" (CROPPED_MIN_AGREEMENT {fingerprint.CROPPED_MIN_AGREEMENT})")
    print(f"total {time.perf_counter() - started:.0f} s")


if __name__ == "__main__":
    main()
