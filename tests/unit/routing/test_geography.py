"""Point-in-polygon over Kota Depok's real kelurahan outlines."""

from __future__ import annotations

import json
from importlib import resources

import pytest
from shapely.geometry import shape

from sigap_routing.geography import Geography

KELURAHAN = json.loads((resources.files("sigap_routing") / "data" / "kelurahan.geojson").read_text(encoding="utf-8"))
KECAMATAN = json.loads((resources.files("sigap_routing") / "data" / "kecamatan.geojson").read_text(encoding="utf-8"))
FEATURES = KELURAHAN["features"]


@pytest.fixture(scope="module")
def depok() -> Geography:
    return Geography.depok()


def test_the_city_has_11_kecamatan_and_63_kelurahan(depok):
    assert len(depok.kelurahan) == 63 == len(FEATURES)
    assert len(depok.kecamatan) == 11
    assert {k.code for k in depok.kecamatan} == {f["properties"]["code"] for f in KECAMATAN["features"]}


@pytest.mark.parametrize("feature", FEATURES, ids=lambda f: f"{f['properties']['code']}-{f['properties']['name']}")
def test_a_point_inside_each_kelurahan_maps_to_it_and_its_kecamatan(depok, feature):
    props = feature["properties"]
    point = shape(feature["geometry"]).representative_point()
    area = depok.locate(lat=point.y, lon=point.x)
    assert area.inside_city
    assert area.how == "inside"
    assert area.kelurahan.code == props["code"]
    assert area.kelurahan.name == props["name"]
    assert area.kecamatan.code == props["kecamatan_code"] == props["code"].rsplit(".", 1)[0]
    assert area.kecamatan.name == props["kecamatan"]


@pytest.mark.parametrize(
    ("lat", "lon", "place"),
    [
        (-6.1754, 106.8272, "Monas, Jakarta"),
        (-6.5950, 106.8166, "Kota Bogor"),
        (-6.3000, 106.7100, "Tangerang Selatan"),
        (-6.3500, 106.9500, "Kota Bekasi"),
        (0.0, 0.0, "null island"),
        (-6.4, 107.5, "far east of Depok, same latitude"),
    ],
)
def test_points_outside_the_city_are_recognised(depok, lat, lon, place):
    area = depok.locate(lat=lat, lon=lon)
    assert not area.inside_city, place
    assert area.kelurahan is None and area.kecamatan is None
    assert area.how == "outside"


def test_a_point_far_beyond_the_outer_edge_is_outside_one_just_beyond_is_inside(depok):
    city_west = min(depok.polygons, key=lambda polygon: polygon.bounds[0])
    west_x, west_y = min(coord for part in city_west.geoms for coord in part.exterior.coords)
    # ~1 km west of the westernmost vertex of the city
    assert not depok.locate(lat=west_y, lon=west_x - 0.009).inside_city
    # ~11 m west of it: within the edge tolerance, so still Depok (the outlines are not survey-exact)
    near = depok.locate(lat=west_y, lon=west_x - 0.0001)
    assert near.inside_city and near.how == "nearest_edge" and near.distance_m < depok.edge_tolerance_m


def test_well_known_places(depok):
    # Jl. Margonda Raya at Universitas Indonesia's gate lies in Pondok Cina (Beji)
    area = depok.locate(lat=-6.3606, lon=106.8317)
    assert (area.kecamatan.name, area.kelurahan.name) == ("Beji", "Pondok Cina")


def test_two_kelurahan_named_curug_are_told_apart_by_code(depok):
    curug = [k for k in depok.kelurahan if k.name == "Curug"]
    assert {k.kecamatan.name for k in curug} == {"Cimanggis", "Bojongsari"}
    for kelurahan in curug:
        polygon = depok.polygons[depok.kelurahan.index(kelurahan)]
        point = polygon.representative_point()
        assert depok.locate(lat=point.y, lon=point.x).kelurahan.code == kelurahan.code
