"""The synthetic-picture gate (`sigap_intake.photos.synthetic`), measured: per kind of picture the
share it gates (neither keyed nor probed), on the evidence benchmark's corpus.

Kinds: natural scenes as stored (JPEG 88) and every edit class of `benchmarks.intake.evidence`
(`CLASSES`, each copy re-encoded as a messaging app delivers it, `_reposted`) plus a recompress
at JPEG quality 25; overexposed scenes (brightened 1.8 times, the sky blown out to flat white:
reported apart, not counted with the scenes); the app screenshots as stored, at JPEG 25, with
one random edit class each, and in dark mode (inverted); flat pictures (a wall, a sky); night
scenes (dark, lit windows and street lights, high-ISO grain) as stored and at JPEG 25.

Also the share of exactly flat blocks per kind (the gate's one figure), the SIFT keypoints the
key module would find on the stored pictures of each kind (config s256zn: long side 256, grey
levels stretched to mean 128 / std 48, 3 layers per octave, size >= 3), and the gate's time.

    uv run python -m benchmarks.intake.synthetic_gate [--scenes 200] [--screenshots 300] [--seed 14]
"""

from __future__ import annotations

import argparse
import io
import random
import statistics
import time
from collections import defaultdict

import cv2
import numpy as np
from PIL import Image, ImageDraw, ImageEnhance, ImageOps

from benchmarks.intake.evidence import CLASSES, _jpeg, _octave_noise, _reposted, flat_picture, natural_scene, screenshot
from benchmarks.support import percentile
from sigap_intake.photos import keys, synthetic


def night_scene(seed: int) -> Image.Image:
    """A street at night: a dark sky with a faint glow, dark buildings with some lit windows,
    street lights with their halo, and a phone's high-ISO grain."""
    rng = np.random.default_rng(seed)
    rnd = random.Random(seed)
    width, height = rnd.choice([(1280, 960), (960, 1280), (1600, 900)])
    ys = np.linspace(0, 1, height, dtype=np.float32)[:, None]
    top, low = rnd.uniform(0, 8), rnd.uniform(5, 25)
    picture = Image.fromarray(np.clip((top + (low - top) * ys) * np.ones((1, width), np.float32), 0, 255).astype(np.uint8))
    draw = ImageDraw.Draw(picture)
    for _ in range(rnd.randrange(3, 8)):
        x, building_width, roof = rnd.randrange(width), rnd.randrange(80, 300), rnd.randrange(height // 4, height // 2)
        draw.rectangle([x, roof, x + building_width, height], fill=rnd.randrange(3, 20))
        for wy in range(roof + 10, height - 20, 40):
            for wx in range(x + 8, x + building_width - 20, 30):
                if rnd.random() < 0.3:
                    draw.rectangle([wx, wy, wx + 12, wy + 18], fill=rnd.randrange(120, 255))
    pixels = np.asarray(picture, np.float32)
    rows, columns = np.ogrid[:height, :width]
    for _ in range(rnd.randrange(2, 6)):
        cx, cy, halo = rnd.randrange(width), rnd.randrange(height // 3, height), rnd.uniform(10, 40)
        pixels = pixels + 250 * np.exp(-((columns - cx) ** 2 + (rows - cy) ** 2) / (2 * halo**2))
    pixels = pixels + _octave_noise(rng, height, width) * rnd.uniform(3, 8)
    pixels = pixels + rng.normal(0, rnd.uniform(2, 5), pixels.shape)
    return Image.fromarray(np.clip(pixels, 0, 255).astype(np.uint8)).convert("RGB")


def _opened(data: bytes) -> Image.Image:
    return Image.open(io.BytesIO(data))


def _keypoints(grey: np.ndarray) -> int:
    """SIFT keypoints of size >= 3 on the key module's normalised grey picture (config s256zn)."""
    levels = grey.astype(np.float32)
    stretched = np.clip((levels - levels.mean()) * (48.0 / (levels.std() + 1e-6)) + 128.0, 0, 255).astype(np.uint8)
    return sum(1 for point in cv2.SIFT_create(nOctaveLayers=3).detect(stretched, None) if point.size >= 3.0)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--scenes", type=int, default=200, help="natural scenes; each is measured as stored,"
                        f" in every one of the {len(CLASSES)} edit classes and at JPEG 25")
    parser.add_argument("--screenshots", type=int, default=300)
    parser.add_argument("--seed", type=int, default=14)
    args = parser.parse_args()
    rnd = random.Random(args.seed)
    started = time.perf_counter()

    shares: dict[str, list[float]] = defaultdict(list)
    keypoints: dict[str, list[int]] = defaultdict(list)
    gate_seconds: list[float] = []

    def measure(kind: str, picture: Image.Image, *, count_keypoints: bool = False) -> None:
        grey = keys.grey_picture(picture, own=True)
        t0 = time.perf_counter()
        share = synthetic.flat_share(grey)
        gate_seconds.append(time.perf_counter() - t0)
        shares[kind].append(share)
        if count_keypoints:
            keypoints[kind].append(_keypoints(grey))

    base = args.seed * 1_000_000
    for number in range(args.scenes):
        stored = _jpeg(natural_scene(base + number))
        measure("scene", _opened(stored), count_keypoints=True)
        for name, edit in CLASSES.items():
            measure(f"scene / {name}", _reposted(_opened(stored), edit, rnd))
        measure("scene / recompress JPEG 25", _opened(_jpeg(_opened(stored), quality=25)))
        overexposed = ImageEnhance.Brightness(_opened(stored)).enhance(1.8)
        measure("overexposed scene (x1.8, sky blown out; not a target)", _opened(_jpeg(overexposed)))
        if (number + 1) % 50 == 0:
            print(f"  {number + 1} scenes, {time.perf_counter() - started:.0f} s", flush=True)
    for number in range(args.screenshots):
        rendered = screenshot(base + 500_000 + number)
        stored = _jpeg(rendered)
        measure("screenshot", _opened(stored), count_keypoints=True)
        measure("screenshot / JPEG 25", _opened(_jpeg(_opened(stored), quality=25)))
        edit = rnd.choice(list(CLASSES))
        measure("screenshot / one random edit class", _reposted(_opened(stored), CLASSES[edit], rnd))
        measure("screenshot / dark mode (inverted)", _opened(_jpeg(ImageOps.invert(rendered))), count_keypoints=True)
    for number in range(args.screenshots // 3):
        measure("flat picture (wall, sky)", _opened(_jpeg(flat_picture(base + 700_000 + number))), count_keypoints=True)
        night = night_scene(base + 750_000 + number)
        measure("night scene", _opened(_jpeg(night)), count_keypoints=True)
        measure("night scene / JPEG 25", _opened(_jpeg(night, quality=25)))

    print()
    print(f"gate: share of exactly flat {synthetic.BLOCK}x{synthetic.BLOCK} blocks >= {synthetic.FLAT_SHARE}"
          f" on the grey picture, long side {synthetic.SIDE}")
    print(f"{'kind':<62} {'gated':>13} {'share':>7}   flat blocks min / median / max   SIFT keypoints p50 (min..max)")
    for kind, values in shares.items():
        gated = sum(value >= synthetic.FLAT_SHARE for value in values)
        points = keypoints.get(kind)
        print(f"{kind:<62} {gated:>5} / {len(values):<5} {gated / len(values):>7.1%}"
              f"   {min(values):.3f} / {statistics.median(values):.3f} / {max(values):.3f}"
              + (f"   {statistics.median(points):.0f} ({min(points)}..{max(points)})" if points else ""))
    natural = [value for kind, values in shares.items() if kind.startswith("scene") for value in values]
    rendered = [value for kind, values in shares.items() if kind.startswith("screenshot") for value in values]
    natural_gated = sum(value >= synthetic.FLAT_SHARE for value in natural)
    rendered_gated = sum(value >= synthetic.FLAT_SHARE for value in rendered)
    print()
    print(f"natural scenes and all their copies gated: {natural_gated} of {len(natural)}"
          f" ({natural_gated / len(natural):.3%}; target <= 0.1 %), highest flat share {max(natural):.3f}")
    print(f"screenshots and all their copies gated:    {rendered_gated} of {len(rendered)}"
          f" ({rendered_gated / len(rendered):.2%}; target >= 99 %), lowest flat share {min(rendered):.3f}")
    print(f"gate time on the grey picture: p50 {statistics.median(gate_seconds) * 1000:.3f} ms,"
          f" p99 {percentile(gate_seconds, 0.99) * 1000:.3f} ms over {len(gate_seconds)} pictures")
    print(f"total {time.perf_counter() - started:.0f} s")


if __name__ == "__main__":
    main()
