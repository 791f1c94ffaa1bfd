"""photos/lookup.py's pure part: the union of candidate sources (views, single hash, keys) and
the checks staff are told found each match."""

from __future__ import annotations

import json
import uuid
from pathlib import Path

from sigap_intake.photos import evidence, keys, lookup
from sigap_intake.photos.checks import Reason
from sigap_intake.photos.reuse import SimilarPhoto

A, B, C, D = (uuid.UUID(int=n) for n in range(1, 5))
WEB_LOCALES = Path(__file__).resolve().parents[3] / "services/web/src/sigap_web/locales"


def _match(photo, confirmed: bool) -> evidence.Match:
    return evidence.Match(photo, 3, 0, 0, "strong" if confirmed else "weak", object() if confirmed else None)  # type: ignore[arg-type]


def test_union_keeps_view_candidates_first_and_names_every_source_of_a_photo():
    views = [evidence.Candidate(photo=A, distance=5, variant=4, view=2)]
    similar = [SimilarPhoto(photo_id=A, complaint_id=None, distance=7), SimilarPhoto(photo_id=B, complaint_id=None, distance=9)]
    ranked = [(C, 6), (A, 5), (D, 1)]  # D: one shared key, a candidate only if KEY_MIN_HITS allows
    with_d = 1 >= evidence.KEY_MIN_HITS
    candidates, sources = lookup.union(views=views, similar=similar, ranked=ranked)
    assert candidates == [
        views[0],  # the view candidate stands for A, with its own distance, variant and view
        evidence.Candidate(photo=B, distance=9, variant=0, view=0),
        evidence.Candidate(photo=C, distance=evidence.KEY_ONLY_DISTANCE, variant=0, view=0),
        *([evidence.Candidate(photo=D, distance=evidence.KEY_ONLY_DISTANCE, variant=0, view=0)] if with_d else []),
    ]
    assert sources == {
        A: [lookup.VIEWS_CHECK, evidence.LEGACY_CHECK, keys.KEY_SCHEME],
        B: [evidence.LEGACY_CHECK],
        C: [keys.KEY_SCHEME],
        **({D: [keys.KEY_SCHEME]} if with_d else {}),
    }


def test_union_without_keys_adds_no_key_candidates():
    candidates, sources = lookup.union(similar=[SimilarPhoto(photo_id=B, complaint_id=None, distance=2)])
    assert [c.photo for c in candidates] == [B] and sources == {B: [evidence.LEGACY_CHECK]}
    assert lookup.union() == ([], {})


def test_key_candidates_beyond_the_top_are_not_named():
    ranked = [(uuid.UUID(int=100 + n), 20 - n) for n in range(evidence.KEY_TOP + 2)]
    candidates, sources = lookup.union(ranked=ranked)
    assert len(candidates) == evidence.KEY_TOP and set(sources) == {c.photo for c in candidates}


def test_checks_name_the_sources_then_the_feature_check_when_features_were_compared():
    sources = {A: [evidence.LEGACY_CHECK, keys.KEY_SCHEME], B: [keys.KEY_SCHEME]}
    checks = lookup.checks_of([_match(A, confirmed=True), _match(B, confirmed=False)], sources)
    assert checks == {A: (evidence.LEGACY_CHECK, keys.KEY_SCHEME, lookup.FEATURES_CHECK), B: (keys.KEY_SCHEME,)}


def test_reasons_get_the_checks_of_their_earlier_photo():
    reasons = [
        Reason("reused_photo", "x", "x", {"earlier_photo_id": str(A), "match": {"checks": ["dihedral_view_hashes"], "view": "v"}}),
        Reason("gps_far_from_location", "y", "y", {"distance_m": 5}),
    ]
    named = lookup.name_checks(reasons, {A: (keys.KEY_SCHEME, lookup.FEATURES_CHECK)})
    assert named[0].details["match"] == {"checks": [keys.KEY_SCHEME, "orb_ransac"], "view": "v"}
    assert named[1] == reasons[1]
    assert reasons[0].details["match"]["checks"] == ["dihedral_view_hashes"]  # not changed in place


def test_the_staff_dashboard_has_words_for_every_check_intake_names():
    names = {evidence.LEGACY_CHECK, *evidence.CHECKS, keys.KEY_SCHEME}
    for language in ("id", "en"):
        catalogue = json.loads((WEB_LOCALES / language / "evidence.json").read_text())
        assert {f"evidence.method.{name}" for name in names} <= set(catalogue), language
