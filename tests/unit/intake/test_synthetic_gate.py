"""The synthetic-picture gate: a rendered chat screenshot is gated however it was re-encoded;
camera-like pictures (a textured scene with grain, its JPEG-25 copy, the same overexposed, a
dark night street) are not. Every picture is drawn here from a seed."""

from __future__ import annotations

import io
import random

import cv2
import numpy as np
import pytest
from PIL import Image, ImageDraw, ImageEnhance

from sigap_intake.photos import keys, synthetic


def _jpeg(picture: Image.Image, quality: int) -> Image.Image:
    out = io.BytesIO()
    picture.convert("RGB").save(out, "JPEG", quality=quality)
    return Image.open(io.BytesIO(out.getvalue()))


def _texture(rng: np.random.Generator, height: int, width: int) -> np.ndarray:
    """Smooth random relief in about [-1, 1]: foliage, asphalt, plaster."""
    total = np.zeros((height, width), np.float32)
    for cells, amplitude in ((6, 1.0), (24, 0.5), (96, 0.25)):
        coarse = rng.standard_normal((cells, cells)).astype(np.float32)
        total += amplitude * cv2.resize(coarse, (width, height), interpolation=cv2.INTER_CUBIC)
    return total / 1.75


def chat_screenshot(seed: int) -> Image.Image:
    """A messenger in light mode: a status bar, a coloured header, bubbles of text lines on a
    plain background, an input bar."""
    rnd = random.Random(seed)
    width, height = 1080, 2340
    picture = Image.new("RGB", (width, height), (236, 229, 221))
    draw = ImageDraw.Draw(picture)
    draw.rectangle([0, 0, width, 90], fill=(7, 94, 84))
    draw.text((30, 30), "09:1" + str(seed % 10) + "   LTE  72%", fill=(255, 255, 255))
    draw.rectangle([0, 90, width, 270], fill=(18, 140, 126))
    draw.ellipse([30, 120, 150, 240], fill=(200, 200, 200))
    draw.text((180, 160), "Warga Perumahan Blok C", fill=(255, 255, 255))
    y = 320
    while y < height - 400:
        own = rnd.random() < 0.5
        bubble_width, lines = rnd.randrange(300, 850), rnd.randrange(1, 6)
        bubble_height = 40 + 44 * lines
        x = width - bubble_width - 40 if own else 40
        draw.rounded_rectangle([x, y, x + bubble_width, y + bubble_height], radius=24,
                               fill=(220, 248, 198) if own else (255, 255, 255))
        for line in range(lines):
            words = " ".join("".join(rnd.choice("aiueonmkstrgl") for _ in range(rnd.randrange(2, 8)))
                             for _ in range(bubble_width // 70))
            draw.text((x + 24, y + 20 + 44 * line), words, fill=(30, 30, 30))
        y += bubble_height + rnd.randrange(20, 70)
    draw.rectangle([0, height - 160, width, height], fill=(246, 246, 246))
    draw.rounded_rectangle([30, height - 140, width - 160, height - 40], radius=50, fill=(255, 255, 255))
    draw.ellipse([width - 130, height - 140, width - 30, height - 40], fill=(0, 168, 132))
    return picture


def natural_scene(seed: int) -> Image.Image:
    """Sky over ground with texture, a few buildings and trees, and a phone sensor's grain."""
    rng = np.random.default_rng(seed)
    width, height = 1600, 1200
    horizon = height // 2
    rows = np.arange(height, dtype=np.float32)[:, None]
    base = np.where(rows < horizon, 200 - rows / horizon * 40, 110 - (rows - horizon) / horizon * 50)
    pixels = base + _texture(rng, height, width) * np.where(rows < horizon, 12, 40)
    picture = Image.fromarray(np.clip(pixels, 0, 255).astype(np.uint8)).convert("RGB")
    draw = ImageDraw.Draw(picture)
    for _ in range(8):
        x = int(rng.integers(0, width - 200))
        top = horizon - int(rng.integers(100, 400))
        draw.rectangle([x, top, x + int(rng.integers(80, 300)), horizon + 20],
                       fill=tuple(int(c) for c in rng.integers(40, 220, 3)))
        draw.ellipse([x + 50, horizon - 150, x + 170, horizon - 30], fill=(40, int(rng.integers(90, 160)), 40))
    pixels = np.asarray(picture, np.float32) + _texture(rng, height, width)[:, :, None] * 15
    pixels += rng.normal(0, 3.0, pixels.shape)
    return Image.fromarray(np.clip(pixels, 0, 255).astype(np.uint8))


def night_scene(seed: int) -> Image.Image:
    """A street at night: an almost black sky, dark buildings with a few lit windows, street
    lights with a halo, high-ISO grain."""
    rng = np.random.default_rng(seed)
    width, height = 1280, 960
    rows = np.arange(height, dtype=np.float32)[:, None]
    pixels = np.broadcast_to(3 + rows / height * 14, (height, width)).copy()
    picture = Image.fromarray(pixels.astype(np.uint8))
    draw = ImageDraw.Draw(picture)
    for _ in range(5):
        x, roof = int(rng.integers(0, width - 100)), int(rng.integers(height // 4, height // 2))
        draw.rectangle([x, roof, x + 220, height], fill=int(rng.integers(4, 16)))
        for wy in range(roof + 12, height - 24, 40):
            for wx in range(x + 10, x + 200, 32):
                if rng.random() < 0.3:
                    draw.rectangle([wx, wy, wx + 12, wy + 18], fill=int(rng.integers(120, 250)))
    pixels = np.asarray(picture, np.float32)
    ys, xs = np.ogrid[:height, :width]
    for _ in range(3):
        cx, cy = int(rng.integers(0, width)), int(rng.integers(height // 3, height))
        pixels = pixels + 240 * np.exp(-((xs - cx) ** 2 + (ys - cy) ** 2) / (2 * 25.0**2))
    pixels = pixels + _texture(rng, height, width) * 4 + rng.normal(0, 3.5, pixels.shape)
    return Image.fromarray(np.clip(pixels, 0, 255).astype(np.uint8)).convert("RGB")


def test_flat_share_counts_whole_blocks_of_one_grey_level():
    grey = np.full((64, 48), 50, np.uint8)
    grey[:, 24:] = np.arange(24 * 64, dtype=np.int64).reshape(64, 24) % 7  # no 4x4 block flat
    assert synthetic.flat_share(grey) == pytest.approx(0.5)
    grey[0, 0] = 1  # one pixel breaks one block of the flat half
    assert synthetic.flat_share(grey) == pytest.approx(0.5 - 1 / (16 * 12))


@pytest.mark.parametrize("clipped", [0, 255])
def test_blocks_clipped_to_black_or_white_count_half(clipped):
    grey = (np.arange(64 * 48, dtype=np.int64).reshape(64, 48) % 7 + 100).astype(np.uint8)
    grey[:, :24] = clipped
    assert synthetic.flat_share(grey) == pytest.approx(0.25)
    grey[:, :24] = 254
    assert synthetic.flat_share(grey) == pytest.approx(0.5)


@pytest.mark.parametrize("quality", [90, 60, 25])
def test_a_chat_screenshot_is_gated_however_it_was_reencoded(quality):
    for seed in range(3):
        picture = _jpeg(chat_screenshot(seed), quality)
        assert synthetic.looks_synthetic(keys.grey_picture(picture, own=True)), (seed, quality)


def test_a_chat_screenshot_still_as_png_is_gated():
    assert synthetic.looks_synthetic(keys.grey_picture(chat_screenshot(7)))


@pytest.mark.parametrize("quality", [90, 25])
def test_a_grainy_natural_scene_is_not_gated_even_at_jpeg_25(quality):
    for seed in range(3):
        grey = keys.grey_picture(_jpeg(natural_scene(seed), quality), own=True)
        assert not synthetic.looks_synthetic(grey), (seed, quality, synthetic.flat_share(grey))


def test_an_overexposed_scene_with_its_sky_blown_out_to_white_is_not_gated():
    for seed in range(3):
        blown = ImageEnhance.Brightness(natural_scene(seed)).enhance(1.8)
        grey = keys.grey_picture(_jpeg(blown, 85), own=True)
        assert (grey[:32] == 255).mean() > 0.9  # the sky is clipped: exactly flat white
        assert not synthetic.looks_synthetic(grey), (seed, synthetic.flat_share(grey))


def test_a_dark_night_scene_is_not_gated():
    for seed in range(3):
        grey = keys.grey_picture(_jpeg(night_scene(seed), 85), own=True)
        assert not synthetic.looks_synthetic(grey), (seed, synthetic.flat_share(grey))


def test_the_grey_picture_has_the_key_modules_size_and_leaves_a_borrowed_picture_alone():
    picture = _jpeg(natural_scene(1), 80)
    grey = keys.grey_picture(picture)
    assert grey.dtype == np.uint8 and max(grey.shape) == synthetic.SIDE
    assert grey.shape == (192, 256)
    assert picture.mode == "RGB"


def test_a_picture_turned_by_exif_is_measured_upright():
    picture = natural_scene(2).resize((400, 300))
    exif = Image.Exif()
    exif[0x0112] = 6  # rotate 90 clockwise to display
    out = io.BytesIO()
    picture.save(out, "JPEG", quality=90, exif=exif)
    grey = keys.grey_picture(Image.open(io.BytesIO(out.getvalue())), own=True)
    assert grey.shape == (256, 192)


def test_a_screenshot_is_neither_keyed_nor_probed_while_a_scene_is() -> None:
    screenshot_keys = keys.photo_keys(_jpeg(chat_screenshot(3), 80), own=True)
    assert screenshot_keys.stored == () and screenshot_keys.probes == ()
    scene_keys = keys.photo_keys(_jpeg(natural_scene(3), 80), own=True)
    assert len(scene_keys.stored) >= 20 and len(scene_keys.probes) >= 500
