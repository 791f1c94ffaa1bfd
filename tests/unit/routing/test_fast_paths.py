"""The classifier's caches and fast paths give exactly what the straightforward code gives:
per-word stem cache, typo-correction memo, keyword scan that skips words starting no keyword,
and point-in-polygon on coordinates. Checked on every complaint of the labelled sets and on a
grid over (and beyond) Kota Depok."""

from __future__ import annotations

import dataclasses

import pytest
from shapely.geometry import Point

from benchmarks.routing.accuracy import SPLITS, load_examples
from sigap_routing import domain, taxonomy as taxonomy_module, text
from sigap_routing.domain import Match, decide, default_taxonomy, find_keywords
from sigap_routing.geography import _M_PER_DEG, OUTSIDE, Area, Geography
from sigap_routing.taxonomy import CompiledTaxonomy

TEXTS = [example.text for split in SPLITS for example in load_examples(split)]


@pytest.fixture(scope="module")
def depok() -> Geography:
    return Geography.depok()


def _stems_word_by_word(description: str) -> list[str]:
    return [
        text.AT if word == "di" else text.stem(word)
        for word in text.normalise(description)
        if word == "di" or word not in text._STOPWORDS
    ]


def test_cached_stems_equal_normalising_and_stemming_each_word():
    assert len(TEXTS) > 700
    text.word_stems.cache_clear()
    cold = [text.stems(description) for description in TEXTS]
    warm = [text.stems(description) for description in TEXTS]
    expected = [_stems_word_by_word(description) for description in TEXTS]
    assert cold == expected
    assert warm == expected
    assert text.word_stems.cache_info().hits > 0


def test_informal_words_are_cached_as_written():
    assert text.stems("Jalanan bolong2 di dpn SDN, gk dibenerin udah sebulan!!") == _stems_word_by_word(
        "Jalanan bolong2 di dpn SDN, gk dibenerin udah sebulan!!"
    )
    assert text.word_stems("gorong-gorong") == ("gorong",)
    assert text.word_stems("gk") == ("tidak",)
    assert text.word_stems("yg") == ()  # "yang" is a stop word
    assert text.word_stems("di") == (text.AT,)


def _fresh_taxonomy() -> CompiledTaxonomy:
    return dataclasses.replace(default_taxonomy(), typo_memo={})


def test_typo_memo_answers_like_the_uncached_correction():
    taxonomy = _fresh_taxonomy()
    words = sorted({word for description in TEXTS for word in text.stems(description)})
    words += ["puskesms", "pusksmas", "kebakarn", "selokn", "penerangn"]  # one edit from keyword words
    first = [taxonomy.correct_typo(word) for word in words]
    again = [taxonomy.correct_typo(word) for word in words]
    assert first == again == [taxonomy._correct_typo(word) for word in words]
    assert taxonomy.correct_typo("puskesms") == "puskesmas"
    assert len(taxonomy.typo_memo) == len(set(words))


def test_typo_memo_stays_bounded(monkeypatch):
    monkeypatch.setattr(taxonomy_module, "TYPO_MEMO_SIZE", 50)
    taxonomy = _fresh_taxonomy()
    words = sorted({word for description in TEXTS for word in text.stems(description)})
    assert len(words) > 200
    for word in words:
        assert taxonomy.correct_typo(word) == taxonomy._correct_typo(word)
        assert len(taxonomy.typo_memo) <= 50


def _find_keywords_at_every_position(text_stems: list[str], taxonomy: CompiledTaxonomy) -> list[Match]:
    """The keyword scan without skipping: every position looks up its keywords and landmarks."""
    landmarks = domain._landmark_stems()
    found: dict[tuple[str, tuple[str, ...]], Match] = {}

    def count(keyword, weight, landmark):
        key = (keyword.category, keyword.stems)
        if key not in found or found[key].weight < weight:
            found[key] = Match(keyword=keyword, weight=weight, landmark=landmark)

    covered_until = 0
    for position, first in enumerate(text_stems):
        longest = 0
        factor = min((landmarks.get(word, 1.0) for word in text_stems[max(0, position - 2) : position]), default=1.0)
        for keyword in taxonomy.by_first_stem.get(first, ()):
            size = len(keyword.stems)
            if size < longest or position + size <= covered_until:
                break
            if tuple(text_stems[position : position + size]) == keyword.stems:
                longest = size
                if keyword.category:
                    count(keyword, keyword.weight * factor, factor < 1.0)
            elif (
                size == 2
                and keyword.category
                and keyword.stems[1] in text_stems[position + 2 : position + 2 + domain.PHRASE_GAP]
            ):
                count(keyword, keyword.weight * factor * domain.GAP_FACTOR, factor < 1.0)
        covered_until = max(covered_until, position + longest)
    return list(found.values())


def test_keyword_scan_finds_what_scanning_every_position_finds():
    taxonomy = default_taxonomy()
    matched = 0
    for description in TEXTS:
        text_stems = [taxonomy.correct_typo(word) for word in text.stems(description)]
        found = find_keywords(text_stems, taxonomy)
        assert found == _find_keywords_at_every_position(text_stems, taxonomy)
        matched += bool(found)
    assert matched > 600


def _locate_with_points(geography: Geography, lat: float, lon: float) -> Area:
    """The documented rules, one shapely predicate per outline on a Point."""
    point = Point(lon, lat)
    inside = [index for index, polygon in enumerate(geography.polygons) if polygon.intersects(point)]
    if len(inside) == 1:
        return Area(inside_city=True, kelurahan=geography.kelurahan[inside[0]], how="inside")
    if inside:
        deepest = max(inside, key=lambda index: geography.polygons[index].boundary.distance(point))
        return Area(inside_city=True, kelurahan=geography.kelurahan[deepest], how="inside")
    distances = [polygon.distance(point) for polygon in geography.polygons]
    nearest = min(range(len(distances)), key=distances.__getitem__)
    if distances[nearest] > geography.edge_tolerance_m / _M_PER_DEG:
        return OUTSIDE
    return Area(
        inside_city=True,
        kelurahan=geography.kelurahan[nearest],
        how="nearest_edge",
        distance_m=round(distances[nearest] * _M_PER_DEG, 1),
    )


def test_locating_coordinates_agrees_with_testing_points_against_every_outline(depok):
    min_lon, min_lat, max_lon, max_lat = (
        min(p.bounds[0] for p in depok.polygons) - 0.01,
        min(p.bounds[1] for p in depok.polygons) - 0.01,
        max(p.bounds[2] for p in depok.polygons) + 0.01,
        max(p.bounds[3] for p in depok.polygons) + 0.01,
    )
    steps = 70
    hows = set()
    for row in range(steps + 1):
        for column in range(steps + 1):
            lat = min_lat + (max_lat - min_lat) * row / steps
            lon = min_lon + (max_lon - min_lon) * column / steps
            area = depok.locate(lat=lat, lon=lon)
            assert area == _locate_with_points(depok, lat, lon), (lat, lon)
            hows.add(area.how)
    assert hows == {"inside", "nearest_edge", "outside"}


def test_decisions_on_the_labelled_sets_do_not_depend_on_warm_caches(depok):
    taxonomy = default_taxonomy()
    area = depok.locate(lat=-6.3731, lon=106.819)
    warm = [decide(category=None, description=description, area=area, taxonomy=taxonomy) for description in TEXTS]
    text.word_stems.cache_clear()
    cold_taxonomy = _fresh_taxonomy()
    cold = [decide(category=None, description=description, area=area, taxonomy=cold_taxonomy) for description in TEXTS]
    assert warm == cold
