"""A reporter tracking their report reads which department handles it by name, as the city's
taxonomy at routing names it, not only by its code."""

from __future__ import annotations

import httpx

from tests.support.kafka import eventually

KUKUSAN_BEJI = {"lat": -6.3731, "lon": 106.819, "address": "Jl. Palakali, Kukusan"}


async def test_tracking_names_the_department(sigap):
    body = {
        "kind": "pengaduan",
        "description": "Lampu penerangan jalan di Jl. Kukusan mati sejak seminggu, gelap sekali malam hari",
        "category": "lampu_jalan",
        "location": KUKUSAN_BEJI,
        "privacy": "publik",
    }
    async with httpx.AsyncClient(timeout=10) as client:
        response = await client.post(f"{sigap.url('intake')}/v1/complaints", json=body)
        assert response.status_code == 201, response.text
        code = response.json()["tracking_code"]
        names = {d["code"]: d["name"] for d in (await client.get(f"{sigap.url('routing')}/v1/routing/departments")).json()}

        async def routed():
            view = (await client.get(f"{sigap.url('intake')}/v1/track/{code}")).json()
            return view if view.get("department") else None

        view = await eventually(routed, timeout_s=60)
    assert view["department"] in names
    assert view["department_name"] == names[view["department"]] != view["department"]
    routed_entries = [entry for entry in view["timeline"] if entry["department"]]
    assert routed_entries and all(entry["department_name"] == names[entry["department"]] for entry in routed_entries)
