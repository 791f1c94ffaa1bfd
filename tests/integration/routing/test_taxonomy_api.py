"""The taxonomy lives in routing's database, versioned, and edits through the admin API take
effect for the next decision without a restart; the preview answers with department, area
and reasons."""

from __future__ import annotations

import copy
import uuid

import pytest

from sigap_routing.engine import RoutingEngine

pytestmark = pytest.mark.integration

BEJI_POINT = {"lat": -6.3731, "lon": 106.819}  # Kukusan, Beji
OUTSIDE_POINT = {"lat": -6.1754, "lon": 106.8272}  # Monas, Jakarta


async def _active(api) -> dict:
    response = await api.client.get("/v1/routing/admin/taxonomy", headers=api.token("city_admin"))
    assert response.status_code == 200, response.text
    return response.json()


async def test_the_default_taxonomy_is_seeded_as_version_1(routing_api):
    body = await _active(routing_api)
    assert body["version"] == 1
    assert body["created_by"] == "system:seed"
    codes = {d["code"] for d in body["taxonomy"]["departments"]}
    for code in (
        "DPUPR",
        "DLHK",
        "DISHUB",
        "SATPOLPP",
        "DAMKAR",
        "DISDUKCAPIL",
        "DINKES",
        "DISDIK",
        "DINSOS",
        "DPMPTSP",
        "DISNAKER",
        "DISKOMINFO",
        "DKPPP",
        "DISPERDAGIN",
        "DISRUMKIM",
        "INSPEKTORAT",
        "PDAM",
        "KEC-32.76.06",
        "KEL-32.76.06.1001",
    ):
        assert code in codes
    assert sum(code.startswith("KEC-") for code in codes) == 11
    assert sum(code.startswith("KEL-") for code in codes) == 63


async def test_an_edit_is_a_new_version_and_the_next_decision_uses_it(routing_api):
    text = "Ada kuntilanak nongol tiap malam di pohon beringin, warga takut lewat"
    before = (await routing_api.client.post("/v1/routing/preview", json={"description": text})).json()
    assert before["needs_triage"] is True

    taxonomy = (await _active(routing_api))["taxonomy"]
    edited = copy.deepcopy(taxonomy)
    word = f"kuntilanak{uuid.uuid4().hex[:6]}"  # a word no version has had before
    text = text.replace("kuntilanak", word)
    edited["categories"].append(
        {"code": "gangguan_gaib", "name": "Gangguan gaib", "department": "SATPOLPP", "keywords": {word: 9}}
    )
    response = await routing_api.client.put(
        "/v1/routing/admin/taxonomy",
        json={"comment": "tambah kategori", "taxonomy": edited},
        headers=routing_api.token("city_admin", username="admin.kota.2"),
    )
    assert response.status_code == 200, response.text
    assert response.json()["version"] == 2
    assert response.json()["created_by"] == "admin.kota.2"

    after = (await routing_api.client.post("/v1/routing/preview", json={"description": text})).json()
    assert (after["department"], after["category"], after["needs_triage"]) == ("SATPOLPP", "gangguan_gaib", False)
    assert after["taxonomy_version"] == 2
    assert any(word in reason for reason in after["reasons"])

    versions = (
        await routing_api.client.get("/v1/routing/admin/taxonomy/versions", headers=routing_api.token("city_admin"))
    ).json()
    assert [v["version"] for v in versions] == [2, 1]
    old = await routing_api.client.get("/v1/routing/admin/taxonomy/versions/1", headers=routing_api.token("city_admin"))
    assert "gangguan_gaib" not in {c["code"] for c in old.json()["taxonomy"]["categories"]}


async def test_another_process_picks_up_an_edit_without_a_restart(routing_api, depok):
    other = RoutingEngine(geography=depok, refresh_s=0.0)  # a second replica sharing the database
    async with routing_api.pool.acquire() as conn:
        assert (await other.taxonomy(conn=conn)).version == 1
    taxonomy = (await _active(routing_api))["taxonomy"]
    for category in taxonomy["categories"]:
        if category["code"] == "lampu_jalan":
            category["department"] = "DPUPR"  # the city moves street lights to public works
    response = await routing_api.client.put(
        "/v1/routing/admin/taxonomy", json={"taxonomy": taxonomy}, headers=routing_api.token("city_admin")
    )
    assert response.status_code == 200, response.text
    async with routing_api.pool.acquire() as conn:
        decision = await other.decide(
            conn=conn, category="lampu_jalan", description="Lampu PJU mati, gelap", location=None
        )
    assert (decision.department, decision.taxonomy_version) == ("DPUPR", 2)


@pytest.mark.parametrize(
    ("headers_for", "status"),
    [(None, 401), (("dept_admin", "DPUPR"), 403), (("auditor", None), 403), (("field_officer", "DLHK"), 403)],
)
async def test_only_a_city_admin_reads_and_replaces_the_taxonomy(routing_api, headers_for, status):
    headers = routing_api.token(*headers_for) if headers_for else {}
    response = await routing_api.client.get("/v1/routing/admin/taxonomy", headers=headers)
    assert response.status_code == status
    assert response.headers["content-type"].startswith("application/problem+json")
    taxonomy = (await _active(routing_api))["taxonomy"]
    response = await routing_api.client.put("/v1/routing/admin/taxonomy", json={"taxonomy": taxonomy}, headers=headers)
    assert response.status_code == status
    assert (await _active(routing_api))["version"] == 1


async def test_a_bad_taxonomy_is_refused_with_reasons_and_nothing_changes(routing_api):
    taxonomy = (await _active(routing_api))["taxonomy"]
    admin = routing_api.token("city_admin")

    dangling = copy.deepcopy(taxonomy)
    dangling["categories"][0]["department"] = "DINAS_HANTU"
    response = await routing_api.client.put("/v1/routing/admin/taxonomy", json={"taxonomy": dangling}, headers=admin)
    assert response.status_code == 422
    assert "DINAS_HANTU" in response.text

    no_office = copy.deepcopy(taxonomy)
    no_office["departments"] = [d for d in no_office["departments"] if d["code"] != "KEL-32.76.06.1001"]
    response = await routing_api.client.put("/v1/routing/admin/taxonomy", json={"taxonomy": no_office}, headers=admin)
    assert response.status_code == 422
    body = response.json()
    assert body["title"] == "Taksonomi tidak sesuai dengan wilayah kota"
    assert "KEL-32.76.06.1001" in body["detail"]

    response = await routing_api.client.put(
        "/v1/routing/admin/taxonomy", json={"taxonomy": {"name": "x"}}, headers=admin
    )
    assert response.status_code == 422
    assert {e["field"] for e in response.json()["errors"]} >= {"taxonomy.departments", "taxonomy.categories"}

    assert (await _active(routing_api))["version"] == 1


async def test_preview_routes_text_and_names_the_area(routing_api):
    response = await routing_api.client.post(
        "/v1/routing/preview",
        json={"description": "jln depan rumah berlubang gede bgt, udah 2 bulan ga diaspal", "location": BEJI_POINT},
    )
    assert response.status_code == 200, response.text
    body = response.json()
    assert (body["department"], body["category"], body["needs_triage"]) == ("DPUPR", "jalan_rusak", False)
    assert 0.6 <= body["confidence"] <= 1
    assert body["area"]["kelurahan"] == {"code": "32.76.06.1002", "name": "Kukusan"}
    assert body["area"]["kecamatan"] == {"code": "32.76.06", "name": "Beji"}
    assert body["area"]["inside_city"] is True
    assert any("'lubang'" in reason for reason in body["reasons"])


async def test_preview_says_in_indonesian_when_the_point_is_outside_the_city(routing_api):
    response = await routing_api.client.post(
        "/v1/routing/preview", json={"description": "Sampah menumpuk di pinggir jalan", "location": OUTSIDE_POINT}
    )
    body = response.json()
    assert body["area"] == {
        "kecamatan": None,
        "kelurahan": None,
        "inside_city": False,
        "message": "Lokasi berada di luar wilayah Kota Depok",
    }
    assert body["needs_triage"] is True and body["department"] == "TRIAGE"
    assert body["category"] == "sampah"
    assert any("di luar wilayah Kota Depok" in reason for reason in body["reasons"])
    english = await routing_api.client.post(
        "/v1/routing/preview",
        json={"description": "Sampah menumpuk", "location": OUTSIDE_POINT},
        headers={"Accept-Language": "en"},
    )
    assert english.json()["area"]["message"] == "The location is outside Kota Depok"


async def test_area_level_matters_go_to_the_kelurahan_office_of_the_location(routing_api):
    response = await routing_api.client.post(
        "/v1/routing/preview",
        json={
            "description": "Ketua RT minta iuran keamanan 200rb tiap bulan tapi ga ada laporannya",
            "location": BEJI_POINT,
        },
    )
    body = response.json()
    assert (body["department"], body["category"]) == ("KEL-32.76.06.1002", "rt_rw")
    unlocated = await routing_api.client.post(
        "/v1/routing/preview", json={"description": "Ketua RT minta iuran keamanan 200rb tiap bulan"}
    )
    assert unlocated.json()["needs_triage"] is True
    assert unlocated.json()["area"]["inside_city"] is None


@pytest.mark.parametrize(
    "body",
    [{}, {"description": ""}, {"description": "x", "location": {"lat": 100, "lon": 0}}, {"description": "x", "foo": 1}],
)
async def test_bad_preview_requests_are_problems(routing_api, body):
    response = await routing_api.client.post("/v1/routing/preview", json=body)
    assert response.status_code == 422
    assert response.headers["content-type"].startswith("application/problem+json")
    assert response.json()["title"] == "Data yang dikirim tidak valid"
