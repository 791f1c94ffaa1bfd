"""The overview API (`sigap_status.overview`) on real PostgreSQL: the public map counts only
complaints whose reporter chose to be public and listed, never more than counts; the staff
overview counts per day and open complaints per kelurahan, a department's staff only their own
department's."""

from __future__ import annotations

import uuid
from datetime import UTC, date, datetime, timedelta

import pytest


pytestmark = pytest.mark.integration

# Two places in Depok a few km apart; cells are 0.02° (about 2 km).
MARGONDA = (-6.3925, 106.8226)
CIMANGGIS = (-6.3650, 106.8750)


@pytest.fixture
def api(status_api):
    return status_api


async def _place(api, complaint_id: uuid.UUID, kelurahan: str) -> None:
    await api.pool.execute("UPDATE complaints SET kelurahan = $2 WHERE id = $1", complaint_id, kelurahan)


def _counts(cells: list[dict], kelurahan: str) -> dict[tuple[float, float, str], int]:
    return {(c["lat"], c["lon"], c["status"]): c["count"] for c in cells if c["kelurahan"] == kelurahan}


async def test_public_map_counts_only_listed_public_complaints_of_the_last_year(api):
    kelurahan = "Kel-" + uuid.uuid4().hex[:8]
    listed = [await api.seed_complaint(location=MARGONDA) for _ in range(2)]
    elsewhere = await api.seed_complaint(location=CIMANGGIS)
    unlisted = await api.seed_complaint(location=MARGONDA, publicly_visible=False)
    confidential = await api.seed_complaint(location=MARGONDA, privacy="rahasia")
    anonymous = await api.seed_complaint(location=MARGONDA, privacy="anonim")
    two_years_ago = await api.seed_complaint(location=MARGONDA, submitted_at=datetime.now(UTC) - timedelta(days=800))
    for complaint_id in (*listed, elsewhere, unlisted, confidential, anonymous, two_years_ago):
        await _place(api, complaint_id, kelurahan)
    await api.pool.execute("UPDATE complaints SET status = 'selesai' WHERE id = $1", listed[1])

    response = await api.client.get("/v1/public/kelurahan")
    assert response.status_code == 200, response.text
    body = response.json()
    assert body["cell_degrees"] == 0.02
    assert (date.fromisoformat(body["until"]) - date.fromisoformat(body["since"])).days == 365
    assert _counts(body["cells"], kelurahan) == {
        (-6.4, 106.82, "diterima"): 1,
        (-6.4, 106.82, "selesai"): 1,
        (-6.36, 106.88, "diterima"): 1,
    }
    assert set(body["cells"][0]) == {"kelurahan", "lat", "lon", "status", "count"}

    # Anyone may ask, so the count is made once per interval and shared: a complaint arriving
    # meanwhile shows at the next refresh, and asking with a period does not start a new count.
    later = await api.seed_complaint(location=MARGONDA)
    await _place(api, later, kelurahan)
    again = await api.client.get("/v1/public/kelurahan", params={"since": "2020-01-01"})
    assert again.json() == body


async def test_staff_overview_per_day_and_open_map_for_own_department(api):
    department = "DP" + uuid.uuid4().hex[:6].upper()
    other = "DP" + uuid.uuid4().hex[:6].upper()
    kelurahan = "Kel-" + uuid.uuid4().hex[:8]
    _, headers = await api.staff("dept_admin", department)
    _, other_headers = await api.staff("dept_admin", other)
    _, city_headers = await api.staff("city_admin")
    _, auditor_headers = await api.staff("auditor")
    ours = [await api.seed_complaint(department=department, location=MARGONDA, privacy="rahasia") for _ in range(3)]
    theirs = await api.seed_complaint(department=other, location=MARGONDA)
    for complaint_id in (*ours, theirs):
        await _place(api, complaint_id, kelurahan)
    # 10:00 WIB on two days: one received the day before yesterday and finished yesterday.
    day_before = datetime.now(UTC).replace(hour=3, minute=0, second=0, microsecond=0) - timedelta(days=2)
    await api.pool.execute("UPDATE complaints SET received_at = $2 WHERE id = ANY($1::uuid[])", ours, day_before)
    await api.pool.execute(
        "UPDATE complaints SET status = 'selesai', resolved_at = $2 WHERE id = $1", ours[0], day_before + timedelta(days=1)
    )
    await api.pool.execute("UPDATE complaints SET status = 'dalam_proses' WHERE id = $1", ours[1])

    response = await api.client.get("/v1/staff/overview", headers=headers)
    assert response.status_code == 200, response.text
    body = response.json()
    assert body["department"] == department
    first, second = (day_before + timedelta(hours=7)).date(), (day_before + timedelta(days=1, hours=7)).date()
    assert body["per_day"] == [
        {"day": first.isoformat(), "received": 3, "finished": 0},
        {"day": second.isoformat(), "received": 0, "finished": 1},
    ]
    assert _counts(body["open_cells"], kelurahan) == {(-6.4, 106.82, "diterima"): 1, (-6.4, 106.82, "dalam_proses"): 1}
    assert {cell["kelurahan"] for cell in body["open_cells"]} == {kelurahan}

    # Another department's admin sees none of it, and may not ask for it.
    theirs_view = (await api.client.get("/v1/staff/overview", headers=other_headers)).json()
    assert theirs_view["department"] == other and theirs_view["per_day"][-1]["received"] == 1
    assert _counts(theirs_view["open_cells"], kelurahan) == {(-6.4, 106.82, "diterima"): 1}
    refused = await api.client.get("/v1/staff/overview", params={"department": department}, headers=other_headers)
    assert refused.status_code == 403 and refused.headers["content-type"] == "application/problem+json"

    # City-wide roles see every department, or the one they ask for.
    for city_wide in (city_headers, auditor_headers):
        everything = (await api.client.get("/v1/staff/overview", headers=city_wide)).json()
        assert everything["department"] is None
        assert _counts(everything["open_cells"], kelurahan) == {
            (-6.4, 106.82, "diterima"): 2,
            (-6.4, 106.82, "dalam_proses"): 1,
        }
    one = (await api.client.get("/v1/staff/overview", params={"department": other}, headers=city_headers)).json()
    assert _counts(one["open_cells"], kelurahan) == {(-6.4, 106.82, "diterima"): 1}

    assert (await api.client.get("/v1/staff/overview")).status_code == 401
    bad = await api.client.get("/v1/staff/overview", params={"until": "2020-01-01", "since": "2026-01-01"}, headers=headers)
    assert bad.status_code == 422
