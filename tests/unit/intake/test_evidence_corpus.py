"""The edits of the evidence benchmark (`benchmarks.intake.evidence`) do what their class names say."""

from __future__ import annotations

import random

from PIL import Image

from benchmarks.intake import evidence as corpus


def test_crop_20_percent_one_side_cuts_exactly_one_side_by_a_fifth():
    picture = Image.new("RGB", (1000, 800))
    rnd = random.Random(3)
    sizes = {corpus.EDITS["crop 20% one side"](rnd, picture).size for _ in range(60)}
    assert sizes == {(800, 800), (1000, 640)}


def test_crop_up_to_20_percent_any_sides_keeps_at_least_60_percent_of_each_axis():
    picture = Image.new("RGB", (1000, 800))
    rnd = random.Random(4)
    for _ in range(60):
        width, height = corpus.crop_any(rnd, picture).size
        assert 600 <= width <= 1000 and 480 <= height <= 800 and (width, height) != (1000, 800)
