"""CPU cost of intake's per-photo work on phone-sized photos, JPEG against HEIC: the upload
checks (`photo_checks.analyse`: sniff, decode, EXIF, perceptual hash, C2PA probe) and making
the metadata-free public copy (done once per public photo, then served from the store).
Prints milliseconds per photo (process CPU time); nothing is asserted. `--reuse` also times
the checks with the reuse detection's extra work on (views: SIGAP_PHOTO_REUSE_VIEWS; keys:
SIGAP_PHOTO_REUSE_KEYS, the SIFT keys and the ORB features; both), JPEG only.

    uv run python -m benchmarks.intake.photos [--photos 5] [--width 4032 --height 3024]
        [--reuse off,views,keys,both]
"""

from __future__ import annotations

import argparse
import io
import statistics
import time
from datetime import UTC, datetime

from sigap_intake.photos import checks as photo_checks
from tests.unit.intake.images import exif_for, heic, scene


def _cpu_ms(work, inputs: list[bytes]) -> list[float]:
    samples = []
    for data in inputs:
        started = time.process_time()
        work(data)
        samples.append((time.process_time() - started) * 1000)
    return samples


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--photos", type=int, default=5)
    parser.add_argument("--width", type=int, default=4032)
    parser.add_argument("--height", type=int, default=3024)
    parser.add_argument("--reuse", type=lambda v: v.split(","), default=[],
                        help="comma list of off, views, keys, both: the checks' cost with each")
    args = parser.parse_args()

    print(f"generating {args.photos} photos of {args.width}x{args.height} ...", flush=True)
    scenes = [scene(seed, size=(args.width, args.height)) for seed in range(args.photos)]
    exif = exif_for(taken_at=datetime.now(UTC), gps=(-6.3925, 106.8226))
    jpegs = []
    for image in scenes:
        out = io.BytesIO()
        image.save(out, "JPEG", quality=90, exif=exif)
        jpegs.append(out.getvalue())
    heics = [heic(image, exif=exif) for image in scenes]
    offset = photo_checks.parse_offset("+07:00")

    def analyse(data: bytes) -> None:
        photo_checks.analyse(data, max_bytes=10**9, max_pixels=10**9, default_offset=offset)

    print(f"{'format':<6} {'avg size':>9} {'checks ms (median/max)':>24} {'public copy ms (median/max)':>29}")
    for name, files in (("JPEG", jpegs), ("HEIC", heics)):
        checks = _cpu_ms(analyse, files)
        copies = _cpu_ms(photo_checks.public_copy, files)
        size = statistics.mean(len(data) for data in files) / 1024
        print(
            f"{name:<6} {size:>7.0f}KB {statistics.median(checks):>14.1f} / {max(checks):>7.1f}"
            f" {statistics.median(copies):>18.1f} / {max(copies):>7.1f}"
        )
    modes = {"off": (False, False), "views": (True, False), "keys": (False, True), "both": (True, True)}
    for mode in args.reuse:
        views, keys = modes[mode]

        def with_reuse(data: bytes, views: bool = views, keys: bool = keys) -> None:
            photo_checks.analyse(data, max_bytes=10**9, max_pixels=10**9, default_offset=offset,
                                 reuse_views=views, reuse_keys=keys)

        with_reuse(jpegs[0])  # OpenCV and the key projection load on first use
        checks = _cpu_ms(with_reuse, jpegs)
        print(f"JPEG checks, reuse {mode:<5} {statistics.median(checks):>10.1f} / {max(checks):>7.1f} ms")


if __name__ == "__main__":
    main()
