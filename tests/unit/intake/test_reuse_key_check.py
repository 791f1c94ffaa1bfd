"""The scalable reuse check (SIGAP_PHOTO_REUSE_KEYS) per kind of edit, on pictures generated here:
the SIFT keys alone (no view hashes stored) bring the original among the candidates, and ORB +
RANSAC confirm it, for every edit class of the evidence benchmark; unrelated scenes and a
screenshot are not accused."""

from __future__ import annotations

import io

import pytest
from PIL import Image

from benchmarks.intake import evidence as corpus
from sigap_intake.photos import evidence, fingerprint, keys
from tests.unit.intake.images import textured_scene
from tests.unit.intake.test_reuse_detection import EDITS, SEEDS, _reposted


def _keys(picture: Image.Image) -> keys.PhotoKeys:
    return keys.grey_keys(fingerprint.upright_grey(picture))


@pytest.fixture(scope="module")
def originals() -> dict[int, Image.Image]:
    return {seed: _reposted(textured_scene(seed)) for seed in (*SEEDS, 103, 104, 105, 106)}


@pytest.fixture(scope="module")
def index(originals) -> evidence.MemoryIndex:
    """Stored as the upload path stores them with only the keys on: features and keys, no views."""
    index = evidence.MemoryIndex()
    for seed, picture in originals.items():
        taken = fingerprint.fingerprint(picture)
        index.add(seed, fingerprint.Fingerprint((), (), taken.stored, taken.feature_image), keys=_keys(picture).stored)
    for seed in (14_500_001, 14_500_002):
        screenshot = Image.open(io.BytesIO(corpus._jpeg(corpus.screenshot(seed))))
        index.add(f"screenshot-{seed}", fingerprint.fingerprint(screenshot), keys=_keys(screenshot).stored)
    return index


def _check(picture: Image.Image, index: evidence.MemoryIndex) -> list[evidence.Match]:
    candidates = evidence.with_key_candidates([], index.key_ranked(_keys(picture).probes))
    new = fingerprint.fingerprint(picture)
    return evidence.judge(new, candidates, index.features(c.photo for c in candidates))


@pytest.mark.parametrize("edit", list(EDITS))
@pytest.mark.parametrize("seed", SEEDS)
def test_the_keys_find_and_the_features_confirm_an_edited_copy(edit, seed, originals, index):
    copy = _reposted(EDITS[edit](originals[seed]))
    strong = [m for m in _check(copy, index) if m.strength == "strong"]
    assert [m.photo for m in strong] == [seed], strong
    assert strong[0].distance == evidence.KEY_ONLY_DISTANCE  # found by the keys, not a hash


@pytest.mark.parametrize("seed", [201, 202, 203])
def test_an_unrelated_scene_is_not_matched(seed, index):
    assert _check(_reposted(textured_scene(seed)), index) == []


def test_a_screenshot_is_not_keyed_and_not_accused(index):
    screenshot = Image.open(io.BytesIO(corpus._jpeg(corpus.screenshot(14_500_001))))
    assert _keys(screenshot) == keys.PhotoKeys((), ())
    assert [m for m in _check(screenshot, index) if m.strength == "strong"] == []
