"""The second candidate source of `benchmarks.intake.evidence --keys N6`: the union keeps the
view-hash candidates first and in order, never holds a photo twice, takes only key photos with
enough hits, and a key-only candidate can only ever be confirmed strong or not matched."""

from __future__ import annotations

import io

from PIL import Image

from benchmarks.intake import evidence_keysource as keysource
from sigap_intake.photos import evidence, fingerprint
from tests.unit.intake.images import jpeg, textured_scene


def _view(photo: str, distance: int) -> evidence.Candidate:
    return evidence.Candidate(photo=photo, distance=distance, variant=3, view=5)


def test_the_union_keeps_view_candidates_first_and_never_duplicates_a_photo() -> None:
    view = [_view("a", 4), _view("b", 9)]
    ranked = [("b", 7), ("c", 5), ("a", 4), ("d", 2), ("e", 1), ("f", 3)]

    candidates, key_only = keysource.union(view, ranked)

    assert candidates[:2] == view
    assert [c.photo for c in candidates] == ["a", "b", "c", "d", "f"]
    assert key_only == {"c", "d", "f"}
    assert all(c.distance == keysource.KEY_ONLY_DISTANCE for c in candidates[2:])


def test_the_union_takes_only_the_top_key_photos() -> None:
    ranked = [(f"p{n}", 10 - n) for n in range(10)]

    candidates, key_only = keysource.union([], ranked, top=3)

    assert [c.photo for c in candidates] == ["p0", "p1", "p2"]
    assert key_only == {"p0", "p1", "p2"}


def test_photos_are_ranked_by_distinct_keys_hit() -> None:
    # One entry per distinct probe key: the photos holding that key.
    ranked = keysource.ranked_hits([{"x", "y"}, {"y"}, {"y", "z"}, {"x"}, {"z", "z"}])

    assert ranked == [("y", 3), ("x", 2), ("z", 2)]


def test_a_key_only_candidate_is_never_a_weak_match() -> None:
    new = fingerprint.fingerprint(Image.open(io.BytesIO(jpeg(textured_scene(3)))))
    candidates, _ = keysource.union([], [("earlier", 5)])

    # No stored features to compare: a view candidate this near would be "weak"; a key-only one is nothing.
    assert evidence.judge(new, candidates, {}) == []
    assert evidence.judge(new, [_view("earlier", fingerprint.WEAK_DISTANCE)], {})[0].strength == "weak"


def test_a_stored_photo_finds_itself_first_through_its_keys() -> None:
    training = [Image.open(io.BytesIO(jpeg(textured_scene(100 + n)))) for n in range(3)]
    index = keysource.KeyIndex("N6", training, seed=14)
    for photo in range(4):
        index.add(photo, jpeg(textured_scene(photo)))

    ranked, probes = index.lookup(jpeg(textured_scene(2)))

    assert ranked[0][0] == 2 and ranked[0][1] >= keysource.MIN_HITS
    assert probes > 0
