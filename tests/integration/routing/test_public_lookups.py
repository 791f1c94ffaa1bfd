"""Routing's public lookups for the web pages: department names from the active taxonomy
(an edit shows at once) and the kelurahan boundaries the map draws, with their licence."""

from __future__ import annotations

import copy

import pytest
from shapely.geometry import shape

pytestmark = pytest.mark.integration


async def test_departments_are_named_from_the_active_taxonomy(routing_api):
    departments = (await routing_api.client.get("/v1/routing/departments")).json()
    names = {d["code"]: d["name"] for d in departments}
    assert names["DISHUB"] == "Dinas Perhubungan"
    assert names["KEL-32.76.01.1006"].startswith("Kelurahan Depok")

    admin = routing_api.token("city_admin")
    taxonomy = (await routing_api.client.get("/v1/routing/admin/taxonomy", headers=admin)).json()["taxonomy"]
    edited = copy.deepcopy(taxonomy)
    for department in edited["departments"]:
        if department["code"] == "DISHUB":
            department["name"] = "Dinas Perhubungan Kota Depok"
    stored = await routing_api.client.put("/v1/routing/admin/taxonomy", json={"taxonomy": edited}, headers=admin)
    assert stored.status_code == 200, stored.text
    renamed = {d["code"]: d["name"] for d in (await routing_api.client.get("/v1/routing/departments")).json()}
    assert renamed["DISHUB"] == "Dinas Perhubungan Kota Depok"


async def test_the_kelurahan_map_is_served_with_its_licence_and_an_etag(routing_api, depok):
    response = await routing_api.client.get("/v1/routing/areas/kelurahan")
    assert response.status_code == 200
    assert response.headers["content-type"] == "application/geo+json"
    collection = response.json()
    assert len(collection["features"]) == len(depok.kelurahan) == 63
    assert "MIT" in collection["license"]
    first = collection["features"][0]
    assert set(first["properties"]) == {"code", "name", "kecamatan_code", "kecamatan"}
    # Rounded to about a metre, the outline still holds the kelurahan's own centroid.
    kelurahan = depok.kelurahan_by_code(first["properties"]["code"])
    assert shape(first["geometry"]).contains(depok.polygons[depok.kelurahan.index(kelurahan)].representative_point())
    again = await routing_api.client.get(
        "/v1/routing/areas/kelurahan", headers={"If-None-Match": response.headers["etag"]}
    )
    assert again.status_code == 304
