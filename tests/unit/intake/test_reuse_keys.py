"""The SIFT keys of the reuse index (`photos.keys`, scheme N6) and the second candidate source
they feed (`evidence.with_key_candidates`): a copy of a photo, cropped, mirrored, turned or
brightened, shares several stored keys with the original's probes while an unrelated scene
shares none; keys fit PostgreSQL's bigint; the shipped projection is fitted deterministically."""

from __future__ import annotations

import io

import numpy as np
from PIL import Image, ImageEnhance, ImageOps

from benchmarks.intake import fit_reuse_keys
from sigap_intake.photos import evidence, fingerprint, keys
from tests.unit.intake.images import jpeg, textured_scene


def _keys(picture: Image.Image) -> keys.PhotoKeys:
    return keys.photo_keys(Image.open(io.BytesIO(jpeg(picture))), own=True)


def _shared(stored: keys.PhotoKeys, copy: Image.Image) -> int:
    return len(set(stored.stored) & set(_keys(copy).probes))


def test_keys_are_deterministic_distinct_and_fit_a_signed_bigint() -> None:
    picture = textured_scene(1)

    first, again = _keys(picture), _keys(picture)

    assert first == again
    assert 40 <= len(first.stored) <= 2 * keys.STORED
    assert len(set(first.stored)) == len(first.stored) and len(set(first.probes)) == len(first.probes)
    assert len(first.probes) <= 2 * keys.QUERIED * keys.TABLES * 2**keys.FLIPS
    assert all(0 <= key < 2**63 for key in first.stored + first.probes)
    assert {key >> keys.TABLE_SHIFT for key in first.stored} == {0, 1}


def test_a_copy_shares_keys_with_its_original_and_another_scene_does_not() -> None:
    picture = textured_scene(2)
    width, height = picture.size
    original = _keys(picture)
    copies = {
        "crop 10 %": picture.crop((width // 10, height // 10, width, height)),
        "mirror": ImageOps.mirror(picture),
        "rotate 90": picture.transpose(Image.Transpose.ROTATE_90),
        "brightness/contrast": ImageEnhance.Contrast(ImageEnhance.Brightness(picture).enhance(1.3)).enhance(0.8),
    }

    shared = {name: _shared(original, copy) for name, copy in copies.items()}

    assert all(count >= 5 for count in shared.values()), shared
    assert _shared(original, textured_scene(12)) <= 1


def test_the_mirror_permutation_is_a_permutation_that_undoes_itself() -> None:
    assert sorted(keys.MIRROR.tolist()) == list(range(128))
    assert np.array_equal(keys.MIRROR[keys.MIRROR], np.arange(128))
    assert not np.array_equal(keys.MIRROR, np.arange(128))


def test_probes_flip_the_least_certain_bits_in_every_combination() -> None:
    base = np.array([[0b1010, (1 << keys.TABLE_SHIFT) + 0b0001]], np.int64)
    uncertain = np.array([[[1, 3, 0, 2], [0, 2, 1, 3]]])

    probes = keys.with_flips(base, uncertain, 2)

    assert sorted(probes.tolist()) == sorted([0b1010, 0b1000, 0b0010, 0b0000,
                                              (1 << 48) + 0b0001, (1 << 48) + 0b0000, (1 << 48) + 0b0101,
                                              (1 << 48) + 0b0100])


def test_photos_are_ranked_by_distinct_keys_hit() -> None:
    rows = [("x", 1), ("y", 1), ("y", 2), ("y", 2), ("z", 3), ("y", 3), ("x", 4), ("z", 5)]

    assert keys.rank_hits(rows) == [("y", 3), ("x", 2), ("z", 2)]


def _view(photo: str, distance: int) -> evidence.Candidate:
    return evidence.Candidate(photo=photo, distance=distance, variant=3, view=5)


def test_key_candidates_come_after_the_given_ones_without_duplicates_or_few_hits() -> None:
    given = [_view("a", 4), _view("b", 9)]
    ranked = [("b", 7), ("c", 5), ("a", 4), ("d", 2), ("e", 1), ("f", 3)]

    candidates = evidence.with_key_candidates(given, ranked)

    assert candidates[:2] == given
    assert [c.photo for c in candidates] == ["a", "b"] + [
        photo for photo, hits in ranked if photo not in ("a", "b") and hits >= evidence.KEY_MIN_HITS
    ]
    assert "c" in [c.photo for c in candidates] and "d" in [c.photo for c in candidates]
    assert all(c.distance == evidence.KEY_ONLY_DISTANCE and c.variant == 0 and c.view == 0 for c in candidates[2:])


def test_only_the_top_key_photos_become_candidates() -> None:
    ranked = [(f"p{n}", 20 - n) for n in range(evidence.KEY_TOP + 4)]

    candidates = evidence.with_key_candidates([], ranked)

    assert [c.photo for c in candidates] == [f"p{n}" for n in range(evidence.KEY_TOP)]


def test_a_key_only_candidate_is_never_a_weak_match() -> None:
    new = fingerprint.fingerprint(Image.open(io.BytesIO(jpeg(textured_scene(3)))))
    candidates = evidence.with_key_candidates([], [("earlier", 5)])

    # No stored features to compare: a view candidate this near would be "weak"; a key-only one is nothing.
    assert evidence.judge(new, candidates, {}) == []
    assert evidence.judge(new, [_view("earlier", fingerprint.WEAK_DISTANCE)], {})[0].strength == "weak"


def test_the_memory_index_ranks_a_copys_original_first_through_its_keys() -> None:
    index = evidence.MemoryIndex()
    for photo in range(4):
        data = jpeg(textured_scene(20 + photo))
        index.add(photo, fingerprint.fingerprint(Image.open(io.BytesIO(data))),
                  keys=keys.photo_keys(Image.open(io.BytesIO(data)), own=True).stored)
    copy = ImageOps.mirror(textured_scene(22))

    ranked = index.key_ranked(_keys(copy).probes)

    assert ranked[0][0] == 2 and ranked[0][1] >= evidence.KEY_MIN_HITS
    assert all(hits >= evidence.KEY_MIN_HITS for _, hits in ranked)


def test_the_fit_script_writes_the_same_file_twice(tmp_path) -> None:  # noqa: ANN001 - pytest fixture
    pictures = fit_reuse_keys.training_pictures(scenes=2, photos=None)
    first, second = tmp_path / "first.npz", tmp_path / "second.npz"

    fit_reuse_keys.write(fit_reuse_keys.fit(pictures), first)
    fit_reuse_keys.write(fit_reuse_keys.fit(fit_reuse_keys.training_pictures(scenes=2, photos=None)), second)

    assert first.read_bytes() == second.read_bytes()
    with np.load(first) as data:
        assert data["components"].shape == (128, keys.COMPONENTS) and data["tables"].shape == (keys.TABLES, keys.BITS)


def test_the_shipped_projection_is_the_packaged_file() -> None:
    projection = keys.shipped_projection()

    assert keys.PROJECTION_FILE.is_file()
    assert projection.components.shape == (128, keys.COMPONENTS) and projection.components.dtype == np.float32
    assert np.array_equal(projection.tables[0], np.arange(keys.BITS))
    # Unit-length, mutually orthogonal directions: principal components.
    assert np.allclose(projection.components.T @ projection.components, np.eye(keys.COMPONENTS), atol=1e-4)


def test_keys_leave_a_picture_they_do_not_own_as_it_was() -> None:
    data = jpeg(textured_scene(4))
    picture = Image.open(io.BytesIO(data))

    borrowed = keys.photo_keys(picture)

    assert picture.size == (1000, 750) and picture.mode == "RGB"
    assert np.array_equal(np.asarray(picture), np.asarray(Image.open(io.BytesIO(data)).convert("RGB")))
    # Decoded at full size instead of reduced scale: not bit-identical keys, but the same picture.
    owned = keys.photo_keys(Image.open(io.BytesIO(data)), own=True)
    assert len(set(borrowed.stored) & set(owned.probes)) >= 10


def test_a_blank_picture_has_no_keys() -> None:
    blank = keys.photo_keys(Image.new("RGB", (640, 480), (200, 200, 200)))

    assert blank == keys.PhotoKeys(stored=(), probes=())


def test_the_upload_path_keys_the_fingerprints_grey_picture_like_the_picture_itself() -> None:
    """Intake turns a photo to grey once (fingerprint.upright_grey, long side 960) and keys that;
    the benchmark keys the JPEG decoded at reduced scale. Both must find each other."""
    data = jpeg(textured_scene(6).resize((2000, 1500)))
    grey = fingerprint.upright_grey(Image.open(io.BytesIO(data)))
    from_grey = keys.grey_keys(grey)
    from_picture = keys.photo_keys(Image.open(io.BytesIO(data)), own=True)

    assert len(from_grey.stored) >= 20
    assert len(set(from_grey.stored) & set(from_picture.probes)) >= 0.6 * len(from_grey.stored)
    assert len(set(from_picture.stored) & set(from_grey.probes)) >= 0.6 * len(from_picture.stored)
    other = keys.photo_keys(Image.open(io.BytesIO(jpeg(textured_scene(7)))), own=True)
    assert len(set(from_grey.stored) & set(other.probes)) <= 1
