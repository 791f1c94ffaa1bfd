"""Reuse detection, measured: how often a re-posted copy of an earlier photo is recognised per
kind of edit, how often an honest fresh photo is wrongly matched, and how long a check takes.

The corpus is generated at run time from a fixed seed (nothing is committed): natural-looking
scenes (sky/ground gradients, multi-octave texture, buildings, trees, poles, roads, people-sized
blobs, sensor noise) of varied sizes and aspect ratios, plus app screenshots sharing one app's
chrome and flat low-texture pictures (a wall, a sky), which must not match each other.

The earlier photos go into an in-memory copy of the production index (the same view hashes,
band probes and distance filter as `repository.find_reuse_candidates`), and each query runs
the production check (`evidence.check`): candidates from the index, then ORB + RANSAC.

It prints per class the share recognised and, for each missed copy, whether its original was
not among the candidates or was but not confirmed; and the time of each stage of a check.

    uv run python -m benchmarks.intake.evidence [--quick] [--images 2000] [--seed 14]
        [--sources {views,keys,views+keys}]

`--sources` (`benchmarks.intake.evidence_sources`) chooses where the candidates come from:
"keys" (the default: what scales to a million photos and what SIGAP_PHOTO_REUSE_KEYS runs: the
production SIFT keys, `sigap_intake.photos.keys` with its shipped projection, plus the single
whole-picture pHash within `photo_reuse_max_distance`), "views" (SIGAP_PHOTO_REUSE_VIEWS alone:
the 49 view hashes) or "views+keys". The report adds per class the copies
whose original only one source gave, and the keys' cost (keys per photo, probes, key rows read).
"""

from __future__ import annotations

import argparse
import io
import random
import statistics
import time
from collections import defaultdict
from collections.abc import Callable

import cv2
import numpy as np
from PIL import Image, ImageDraw, ImageEnhance, ImageOps

from benchmarks.intake import evidence_sources as sources_module
from benchmarks.support import percentile
from sigap_intake.photos import evidence, fingerprint, reuse

# -- the corpus ---------------------------------------------------------------------------

_SIZES = [(1600, 1200), (1200, 1600), (1280, 720), (720, 1280), (1024, 1024), (1000, 750), (800, 600), (1440, 1080)]


def _octave_noise(rng: np.random.Generator, height: int, width: int) -> np.ndarray:
    """Fractal value noise in [-1, 1]: textures like foliage, asphalt, plaster, clouds."""
    total = np.zeros((height, width), np.float32)
    amplitude, weight = 1.0, 0.0
    for cells in (4, 8, 16, 32, 64, 128):
        coarse = rng.standard_normal((cells * height // max(height, width) + 2, cells * width // max(height, width) + 2))
        total += amplitude * cv2.resize(coarse.astype(np.float32), (width, height), interpolation=cv2.INTER_CUBIC)
        weight += amplitude
        amplitude *= 0.6
    return total / weight


def natural_scene(seed: int, *, small: bool = False) -> Image.Image:
    """`small`: drawn and returned at a quarter of the size (about 300 pixels on the long side;
    the view hashes only see 256), for filling a large index cheaply."""
    rng = np.random.default_rng(seed)
    rnd = random.Random(seed)
    width, height = _SIZES[rnd.randrange(len(_SIZES))]
    if small:
        width, height = width // 4, height // 4
    # Draw at half size (faster) and scale up, as a phone's processing softens anyway.
    w, h = width // 2, height // 2
    horizon = int(h * rnd.uniform(0.25, 0.7))
    sky_top, sky_low = rng.uniform(90, 255, 3), rng.uniform(120, 255, 3)
    ground_top, ground_low = rng.uniform(20, 200, 3), rng.uniform(10, 160, 3)
    ys = np.linspace(0, 1, h, dtype=np.float32)[:, None, None]
    sky = sky_top + (sky_low - sky_top) * ys
    ground = ground_top + (ground_low - ground_top) * ys
    canvas = np.where(np.arange(h)[:, None, None] < horizon, sky, ground) * np.ones((1, w, 1), np.float32)
    texture = _octave_noise(rng, h, w)[:, :, None]
    canvas += texture * np.where(np.arange(h)[:, None, None] < horizon, 25.0, 60.0)
    image = Image.fromarray(np.clip(canvas, 0, 255).astype(np.uint8))
    draw = ImageDraw.Draw(image)
    for _ in range(rnd.randrange(6, 25)):
        colour = tuple(rnd.randrange(256) for _ in range(3))
        kind = rnd.random()
        x = rnd.randrange(w)
        if kind < 0.35:  # a building with windows
            bw, bh = rnd.randrange(w // 12, w // 3), rnd.randrange(h // 8, h // 2)
            # (Only a small render can draw a building this low; full size never does.)
            top = min(horizon, horizon - bh + rnd.randrange(-10, 30))
            draw.rectangle([x, top, x + bw, horizon + rnd.randrange(5, 40)], fill=colour)
            window = tuple(max(0, c - rnd.randrange(40, 120)) for c in colour)
            step = rnd.randrange(10, 24)
            for wy in range(top + 6, horizon - 6, step):
                for wx in range(x + 5, x + bw - 8, step):
                    if rnd.random() < 0.8:
                        draw.rectangle([wx, wy, wx + step // 2, wy + step // 2], fill=window)
        elif kind < 0.55:  # a tree
            r = rnd.randrange(h // 20, h // 6)
            cy = horizon - rnd.randrange(0, h // 4)
            draw.rectangle([x - r // 6, cy, x + r // 6, cy + r * 2], fill=(70, 50, 30))
            draw.ellipse([x - r, cy - r, x + r, cy + r], fill=(rnd.randrange(20, 90), rnd.randrange(80, 170), 40))
        elif kind < 0.7:  # a pole or cable
            draw.line([x, rnd.randrange(h), x + rnd.randrange(-w // 4, w // 4), rnd.randrange(h)], fill=colour,
                      width=rnd.randrange(2, 8))
        elif kind < 0.85:  # a road marking, a car, a person-sized blob
            y = rnd.randrange(horizon, h)
            draw.ellipse([x, y, x + rnd.randrange(10, w // 5), y + rnd.randrange(8, h // 8)], fill=colour)
        else:
            points = [(x + rnd.randrange(-w // 6, w // 6), rnd.randrange(h)) for _ in range(rnd.randrange(3, 7))]
            draw.polygon(points, fill=colour)
    pixels = np.asarray(image, np.float32)
    # Some of each surface's texture on top of the shapes, then the sensor's grain.
    pixels += _octave_noise(rng, h, w)[:, :, None] * 18
    big = cv2.resize(pixels, (width, height), interpolation=cv2.INTER_LINEAR)
    big += rng.normal(0, rnd.uniform(2, 6), big.shape).astype(np.float32)
    return Image.fromarray(np.clip(big, 0, 255).astype(np.uint8))


def screenshot(seed: int) -> Image.Image:
    """A phone screenshot of one chat/map app: identical status bar, header and tab bar, with a
    few bubbles or list rows of different length in between (little natural texture)."""
    rnd = random.Random(seed)
    width, height = 720, 1560
    image = Image.new("RGB", (width, height), (245, 245, 245))
    draw = ImageDraw.Draw(image)
    draw.rectangle([0, 0, width, 60], fill=(20, 110, 80))
    draw.text((20, 20), "12:4" + str(seed % 10) + "  4G  85%", fill=(255, 255, 255))
    draw.rectangle([0, 60, width, 190], fill=(30, 140, 100))
    draw.text((40, 110), "Grup Warga RT 0" + str(seed % 9), fill=(255, 255, 255))
    y = 220
    while y < height - 260:
        mine = rnd.random() < 0.5
        bubble_w, bubble_h = rnd.randrange(200, 600), rnd.randrange(60, 200)
        x = width - bubble_w - 30 if mine else 30
        draw.rounded_rectangle([x, y, x + bubble_w, y + bubble_h], radius=18,
                               fill=(220, 248, 198) if mine else (255, 255, 255))
        for line in range(bubble_h // 34):
            draw.text((x + 16, y + 12 + line * 30), "".join(rnd.choice("abcdefghij klmnop") for _ in range(28)),
                      fill=(40, 40, 40))
        y += bubble_h + rnd.randrange(16, 60)
    draw.rectangle([0, height - 200, width, height], fill=(250, 250, 250))
    for tab in range(4):
        draw.ellipse([60 + tab * 170, height - 160, 120 + tab * 170, height - 100], fill=(120, 120, 120))
    return image


def flat_picture(seed: int) -> Image.Image:
    """A photo of a painted wall or a clear sky: a gentle gradient with faint noise."""
    rng = np.random.default_rng(seed)
    width, height = 1200, 900
    base, tint = rng.uniform(60, 230, 3), rng.uniform(-30, 30, 3)
    xs = np.linspace(0, 1, width, dtype=np.float32)[None, :, None]
    pixels = base + tint * xs + rng.normal(0, 1.5, (height, width, 3))
    return Image.fromarray(np.clip(pixels, 0, 255).astype(np.uint8))


# -- the edits a re-poster makes ------------------------------------------------------------


def _crop(image: Image.Image, left: float, top: float, right: float, bottom: float) -> Image.Image:
    w, h = image.size
    return image.crop((round(w * left), round(h * top), w - round(w * right), h - round(h * bottom)))


def _crop_one_side(rnd: random.Random, image: Image.Image, share: float) -> Image.Image:
    """`share` off one side chosen at random. (Until 2026-12-07 each side was cut with
    probability 1/4 on its own: a third of these copies were not cut at all, some on all four.)"""
    sides = [0.0] * 4
    sides[rnd.randrange(4)] = share
    return _crop(image, *sides)


def crop_any(rnd: random.Random, image: Image.Image) -> Image.Image:
    """Up to 20 % off one to four sides."""
    sides = [0.0] * 4
    for side in rnd.sample(range(4), rnd.randrange(1, 5)):
        sides[side] = rnd.uniform(0.05, 0.2)
    return _crop(image, *sides)


def overlay(rnd: random.Random, image: Image.Image) -> Image.Image:
    """A caption, a sticker or a watermark covering a small part of the picture."""
    marked = image.copy()
    draw = ImageDraw.Draw(marked, "RGBA")
    w, h = marked.size
    kind = rnd.randrange(3)
    if kind == 0:  # caption bar with text
        bar = int(h * rnd.uniform(0.05, 0.09))
        y = rnd.choice([0, h - bar])
        draw.rectangle([0, y, w, y + bar], fill=(0, 0, 0, 160))
        draw.text((w // 20, y + bar // 3), "BANJIR LAGI DI JL. MARGONDA!!! #depok", fill=(255, 255, 255, 255))
    elif kind == 1:  # sticker
        r = int(min(w, h) * rnd.uniform(0.08, 0.14))
        cx, cy = rnd.randrange(r, w - r), rnd.randrange(r, h - r)
        draw.ellipse([cx - r, cy - r, cx + r, cy + r], fill=(255, 210, 0, 255))
        draw.ellipse([cx - r // 3, cy - r // 3, cx + r // 3, cy + r // 3], fill=(60, 30, 0, 255))
    else:  # translucent watermark text across the middle
        for line in range(3):
            draw.text((w // 6, h // 3 + line * h // 10), "@info_depok_terkini", fill=(255, 255, 255, 110))
        draw.rectangle([w // 6, h // 3, w // 2, h // 3 + 4], fill=(255, 255, 255, 110))
    return marked


def brightness_contrast(rnd: random.Random, image: Image.Image) -> Image.Image:
    brighter = ImageEnhance.Brightness(image).enhance(rnd.choice([rnd.uniform(0.65, 0.85), rnd.uniform(1.15, 1.4)]))
    return ImageEnhance.Contrast(brighter).enhance(rnd.choice([rnd.uniform(0.65, 0.85), rnd.uniform(1.15, 1.4)]))


def resize(rnd: random.Random, image: Image.Image) -> Image.Image:
    scale = rnd.uniform(0.3, 0.7)
    return image.resize((max(64, int(image.width * scale)), max(64, int(image.height * scale))), Image.LANCZOS)


def recompress(rnd: random.Random, image: Image.Image) -> Image.Image:
    return Image.open(io.BytesIO(_jpeg(image, quality=rnd.randrange(25, 55))))


def mirror(rnd: random.Random, image: Image.Image) -> Image.Image:
    return ImageOps.mirror(image)


def _rotate(degrees: int) -> Callable[[random.Random, Image.Image], Image.Image]:
    transpose = {90: Image.Transpose.ROTATE_90, 180: Image.Transpose.ROTATE_180, 270: Image.Transpose.ROTATE_270}
    return lambda rnd, image: image.transpose(transpose[degrees])


def _crop_fixed(*sides: float) -> Callable[[random.Random, Image.Image], Image.Image]:
    return lambda rnd, image: _crop(image, *sides)


EDITS: dict[str, Callable[[random.Random, Image.Image], Image.Image]] = {
    "crop 10% left+top": _crop_fixed(0.1, 0.1, 0, 0),
    "crop 10% centred": _crop_fixed(0.05, 0.05, 0.05, 0.05),
    "crop 20% one side": lambda rnd, image: _crop_one_side(rnd, image, 0.2),
    "crop up to 20% any sides": crop_any,
    "mirror": mirror,
    "rotate 90": _rotate(90),
    "rotate 180": _rotate(180),
    "rotate 270": _rotate(270),
    "resize": resize,
    "recompress": recompress,
    "brightness/contrast": brightness_contrast,
    "overlay": overlay,
}


def _then(first: str, second: str) -> Callable[[random.Random, Image.Image], Image.Image]:
    return lambda rnd, image: EDITS[second](rnd, EDITS[first](rnd, image))


PAIRS = {
    f"{a} + {b}": _then(a, b)
    for a, b in [
        ("crop up to 20% any sides", "mirror"),
        ("crop up to 20% any sides", "rotate 90"),
        ("crop up to 20% any sides", "overlay"),
        ("crop up to 20% any sides", "brightness/contrast"),
        ("crop up to 20% any sides", "resize"),
        ("mirror", "rotate 270"),
        ("overlay", "brightness/contrast"),
        ("mirror", "overlay"),
        ("rotate 180", "brightness/contrast"),
        ("resize", "recompress"),
        ("rotate 90", "overlay"),
        ("mirror", "brightness/contrast"),
    ]
}
CLASSES = {**EDITS, **PAIRS}


def _jpeg(image: Image.Image, *, quality: int = 88) -> bytes:
    out = io.BytesIO()
    image.convert("RGB").save(out, "JPEG", quality=quality)
    return out.getvalue()


def _reposted(image: Image.Image, edit: Callable[[random.Random, Image.Image], Image.Image], rnd: random.Random) -> Image.Image:
    """The edited copy as a messaging app delivers it: re-encoded as JPEG."""
    return Image.open(io.BytesIO(_jpeg(edit(rnd, image), quality=rnd.randrange(70, 92))))


# -- the run ------------------------------------------------------------------------------


def _described(seen: fingerprint.Confirmation) -> str:
    return (f"inliers {seen.inliers}/{seen.matches} coverage {seen.coverage:.2f} agreement {seen.agreement:.2f}"
            f" detail {seen.detail_agreement:.2f}{' mirrored' if seen.mirrored else ''}")


def _why_no_candidate(query_hashes: tuple[int, ...], views: tuple[int, ...], candidates: list[evidence.Candidate]) -> str:
    """The original's nearest view to any query hash (bits of 64), whether the index's band probes
    reach any of its views, and the candidates that were taken instead."""
    nearest = min(fingerprint.hamming(query, view) for query in query_hashes for view in views)
    probed = [set(values) for values in evidence.probes(query_hashes)]
    reached = any(band in probed[number] for view in views for number, band in enumerate(reuse.bands(view)))
    taken = ", ".join(str(c.distance) for c in candidates) or "none"
    return (f"nearest view {nearest} bits (candidates need <= {fingerprint.CANDIDATE_DISTANCE}),"
            f" {'reached' if reached else 'not reached'} by the band probes; candidates at {taken} bits")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--quick", action="store_true", help="a small run (200 scenes) to try things out")
    parser.add_argument("--images", type=int, default=2000, help="distinct natural scenes stored as earlier photos")
    parser.add_argument("--per-class", type=int, default=0, help="copies per edit class (default 100; 30 quick)")
    parser.add_argument("--seed", type=int, default=14)
    parser.add_argument("--sources", choices=sources_module.SOURCES, default="keys",
                        help="where the candidates come from (evidence_sources)")
    args = parser.parse_args()
    images = 200 if args.quick else args.images
    per_class = args.per_class or (30 if args.quick else 100)
    screenshots, flats = images // 10, images // 20
    rnd = random.Random(args.seed)

    sources_of = sources_module.CandidateSources(args.sources)
    index = sources_of.index
    originals: list[bytes | None] = []  # as JPEG: 2 000 decoded pictures would not fit in memory
    view_hashes: list[tuple[int, ...]] = []  # to say why an original was not a candidate
    started = time.perf_counter()
    print(f"building {images} scenes, {screenshots} screenshots, {flats} flat pictures (seed {args.seed});"
          f" candidates from {args.sources} ...",
          flush=True)
    sources = (
        [("scene", natural_scene, args.seed * 1_000_000 + i) for i in range(images)]
        + [("screenshot", screenshot, args.seed * 1_000_000 + 500_000 + i) for i in range(screenshots)]
        + [("flat", flat_picture, args.seed * 1_000_000 + 700_000 + i) for i in range(flats)]
    )
    for number, (kind, make, seed) in enumerate(sources):
        data = _jpeg(make(seed))
        stored_print = fingerprint.fingerprint(Image.open(io.BytesIO(data)), own=True)
        sources_of.add(number, data, stored_print)
        view_hashes.append(stored_print.view_hashes)
        # Only scenes are re-posted below; keep those.
        originals.append(data if kind == "scene" else None)
        if (number + 1) % 250 == 0:
            print(f"  {number + 1} indexed, {time.perf_counter() - started:.0f} s", flush=True)
    print(f"  indexed {len(sources)} earlier photos in {time.perf_counter() - started:.0f} s", flush=True)

    timings: list[float] = []
    stages: dict[str, list[float]] = defaultdict(list)

    def timed_check(picture: Image.Image, kind: str, original: int | None = None) -> tuple[
            fingerprint.Fingerprint, list[evidence.Candidate], list[evidence.Match], dict[str, set]]:
        """The production check (`evidence.check`), stage by stage, each stage timed, with the
        candidates of the chosen sources; also returns each source's photos. The picture is fresh
        from Image.open and handed over (`own`): the hash stage includes decoding it; the pHash and
        key stages decode the same JPEG bytes again."""
        data = picture.fp.getvalue()  # type: ignore[union-attr]
        t0 = time.perf_counter()
        new = fingerprint.fingerprint(picture, own=True)
        stages["hash (fingerprint)"].append(time.perf_counter() - t0)
        candidates, found = sources_of.candidates(data, new, stages, original=original, stored_count=len(sources),
                                                  kind=kind)
        t2 = time.perf_counter()
        matches = evidence.judge(new, candidates, index.features(c.photo for c in candidates))
        t3 = time.perf_counter()
        stages["confirmation"].append(t3 - t2)
        timings.append(t3 - t0)
        return new, candidates, matches, found

    recognised: dict[str, list[bool]] = defaultdict(list)
    # Per class, why a copy was missed: its original was not among the candidates, or was and
    # the local features did not confirm it.
    missed: dict[str, dict[str, int]] = defaultdict(lambda: {"no candidate": 0, "not confirmed": 0})
    # What the local-feature check saw for each copy whose original was a candidate but not confirmed.
    unconfirmed: list[tuple[str, fingerprint.Confirmation]] = []
    # Each copy whose original was not a candidate, and why: how near its nearest view came, and
    # the candidates it lost to.
    uncandidated: list[tuple[str, str]] = []
    # Per class and source, copies recognised whose original only that source made a candidate;
    # per source, strong matches on copies that were not the original, given by that source alone.
    found_only = sources_module.new_tally()
    wrong_only: dict[str, int] = defaultdict(int)
    for name, edit in CLASSES.items():
        for _ in range(per_class):
            number = rnd.randrange(images)
            copy = _reposted(Image.open(io.BytesIO(originals[number])), edit, rnd)  # type: ignore[arg-type]
            new, candidates, result, found = timed_check(copy, "copy", number)
            hit = any(m.photo == number and m.strength == "strong" for m in result)
            recognised[name].append(hit)
            if hit and (source := sources_module.only_by(found, number)):
                found_only[name][source] += 1
            for match in result:
                if match.strength == "strong" and match.photo != number:
                    wrong_only[sources_module.only_by(found, match.photo) or "several"] += 1
            if not hit:
                was_candidate = any(c.photo == number for c in candidates)
                missed[name]["not confirmed" if was_candidate else "no candidate"] += 1
                if was_candidate:
                    unconfirmed.append((name, fingerprint.confirm(new, index.features([number])[number])))
                else:
                    uncandidated.append((name, _why_no_candidate(new.query_hashes, view_hashes[number], candidates)))

    # Honest fresh photos: new scenes (and new screenshots, flat pictures), never indexed; every
    # one against every stored photo is an unrelated pair.
    fresh_sources = (
        [("scene", natural_scene(args.seed * 1_000_000 + 800_000 + i)) for i in range(images // 2)]
        + [("screenshot", screenshot(args.seed * 1_000_000 + 900_000 + i)) for i in range(screenshots)]
        + [("flat", flat_picture(args.seed * 1_000_000 + 950_000 + i)) for i in range(flats)]
    )
    strong_false = weak_false = clean = 0
    fresh_only_strong: dict[str, int] = defaultdict(int)
    # (new photo's kind, stored photo's kind, what the check saw) of each false strong match
    false_confirmations: list[tuple[str, str, fingerprint.Confirmation]] = []
    for fresh_kind, picture in fresh_sources:
        copy = Image.open(io.BytesIO(_jpeg(picture)))
        _, _, result, found = timed_check(copy, f"fresh {fresh_kind}")
        strong_false += sum(1 for m in result if m.strength == "strong")
        for match in result:
            if match.strength == "strong":
                fresh_only_strong[sources_module.only_by(found, match.photo) or "several"] += 1
        false_confirmations += [(fresh_kind, sources[m.photo][0], m.confirmation) for m in result
                                if m.strength == "strong" and m.confirmation]
        weak_false += sum(1 for m in result if m.strength == "weak")
        clean += not result
    pairs = len(fresh_sources) * len(sources)

    print()
    print(f"{'edit class':<52} {'recognised':>10}            missed: no candidate / not confirmed")
    worst = 1.0
    for name, hits in recognised.items():
        share = sum(hits) / len(hits)
        worst = min(worst, share)
        print(f"{name:<52} {share:>9.1%}  ({sum(hits)}/{len(hits)})"
              f"   {missed[name]['no candidate']:>3} / {missed[name]['not confirmed']:>3}")
    print()
    print(f"lowest class recall:           {worst:.1%} (target >= 95%)")
    print(f"honest fresh photos clean:     {clean / len(fresh_sources):.2%} ({clean}/{len(fresh_sources)}; target >= 99%)")
    print(f"unrelated pairs:               {pairs}")
    print(f"false strong matches:          {strong_false} ({strong_false / pairs * 100_000:.2f} per 100 000; target <= 1)")
    print(f"false weak matches (suspicious only): {weak_false}")
    print(f"time per check (fingerprint + candidates + ORB): p50 {statistics.median(timings) * 1000:.0f} ms, "
          f"p99 {percentile(timings, 0.99) * 1000:.0f} ms over {len(timings)} checks")
    for stage, samples in stages.items():
        print(f"  {stage:<20} p50 {statistics.median(samples) * 1000:6.1f} ms, p99 {percentile(samples, 0.99) * 1000:6.1f} ms")
    sources_module.report(sources_of, found_only, list(CLASSES), wrong_only, fresh_only_strong)
    print(f"missed copies: {sum(m['no candidate'] for m in missed.values())} without their original among the"
          f" candidates, {sum(m['not confirmed'] for m in missed.values())} with it but not confirmed")
    for name, seen in unconfirmed:
        print(f"  not confirmed: {name:<48} {_described(seen)}")
    for name, why in uncandidated:
        print(f"  no candidate:  {name:<48} {why}")
    for fresh_kind, stored_kind, seen in false_confirmations:
        print(f"  false strong match: new {fresh_kind} vs stored {stored_kind}: {_described(seen)}")
    print(f"total {time.perf_counter() - started:.0f} s")


if __name__ == "__main__":
    main()
