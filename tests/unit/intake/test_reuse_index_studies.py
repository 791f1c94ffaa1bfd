"""The reuse-index benchmarks measure what production computes: the key study's hash bits are
the production view and query hashes bit for bit, and the small renders that fill the index
benchmark are valid scenes at every size."""

from __future__ import annotations

import io

import numpy as np
import pytest
from PIL import Image

from benchmarks.intake import evidence as corpus
from benchmarks.intake import evidence_keys
from sigap_intake.photos import fingerprint
from tests.unit.intake.images import jpeg, textured_scene


def _as_int(bits: np.ndarray) -> int:
    return int.from_bytes(np.packbits(bits).tobytes(), "big")


@pytest.mark.parametrize("size", [(640, 480), (480, 800)])
def test_the_key_study_hashes_like_production(size: tuple[int, int]) -> None:
    picture = Image.open(io.BytesIO(jpeg(textured_scene(7, size=size))))
    production = fingerprint.fingerprint(picture)
    base = evidence_keys._hash_base(Image.open(io.BytesIO(jpeg(textured_scene(7, size=size)))))

    assert [_as_int(bits) for bits in evidence_keys.stored_bits(base)] == list(production.view_hashes)
    bits, certainty = evidence_keys.query_bits(base, list(fingerprint._QUERY_CUTS))
    assert [_as_int(row) for row in bits] == list(production.query_hashes)
    assert certainty.shape == bits.shape and (certainty >= 0).all()


def test_small_renders_fill_the_index_with_distinct_scenes() -> None:
    pictures = [corpus.natural_scene(seed, small=True) for seed in range(30_000_000, 30_000_040)]
    assert all(max(picture.size) <= 400 for picture in pictures)
    whole_picture_hashes = {
        fingerprint.view_hashes(fingerprint._shrunk(fingerprint.grey(picture), 8 * fingerprint._HASH_SIDE))[0]
        for picture in pictures
    }
    assert len(whole_picture_hashes) == len(pictures)
