"""Statistics, CSV export and the public transparency API, on real PostgreSQL."""

from __future__ import annotations

import csv
import io
import uuid
from datetime import UTC, datetime, timedelta

import pytest

pytestmark = pytest.mark.integration


async def test_statistics_count_time_and_compliance(status_api):
    api = status_api
    department = "DP" + uuid.uuid4().hex[:6].upper()
    _, headers = await api.staff("dept_admin", department)
    _, other_headers = await api.staff("dept_admin", "DISKES")
    first, second, third = [await api.seed_complaint(department=department, category="sampah") for _ in range(3)]
    received = datetime.now(UTC) - timedelta(hours=10)
    await api.pool.execute("UPDATE complaints SET received_at = $2 WHERE id = ANY($1::uuid[])", [first, second, third], received)
    await api.pool.execute(
        "UPDATE complaints SET status = 'terverifikasi', verified_at = $2::timestamptz + interval '2 hours' WHERE id = $1", first, received
    )
    await api.pool.execute(
        "UPDATE complaints SET status = 'selesai', verified_at = $2::timestamptz + interval '4 hours', resolved_at = $2::timestamptz + interval '8 hours',"
        " finish_breached_at = now() WHERE id = $1",
        second,
        received,
    )
    stats = (await api.client.get("/v1/staff/statistics", headers=headers)).json()
    assert stats["department"] == department
    counts = {(row["status"], row["category"]): row["count"] for row in stats["counts"]}
    assert counts == {("diterima", "sampah"): 1, ("terverifikasi", "sampah"): 1, ("selesai", "sampah"): 1}
    [durations] = stats["durations"]
    assert (durations["verified"], durations["finished"]) == (2, 1)
    assert durations["verify_p50_hours"] == 3.0 and durations["finish_p50_hours"] == 8.0
    [compliance] = stats["sla_compliance"]
    assert (compliance["received"], compliance["within_sla"], compliance["rate"]) == (3, 2, 0.6667)
    # Department staff get their own department's numbers; asking for another's is refused,
    # as the queue refuses it, instead of silently answering with their own.
    own = (await api.client.get("/v1/staff/statistics", headers=other_headers)).json()
    assert own["department"] == "DISKES" and all(row["department"] == "DISKES" for row in own["counts"])
    other = await api.client.get("/v1/staff/statistics", params={"department": department}, headers=other_headers)
    assert other.status_code == 403 and other.headers["content-type"] == "application/problem+json"
    bad = await api.client.get("/v1/staff/statistics", params={"since": "2026-05-01", "until": "2026-04-01"}, headers=headers)
    assert bad.status_code == 422


async def test_csv_export_of_the_filtered_queue(status_api):
    api = status_api
    department = "DP" + uuid.uuid4().hex[:6].upper()
    _, headers = await api.staff("dept_admin", department)
    ids = [await api.seed_complaint(department=department, category="lampu_jalan") for _ in range(3)]
    await api.seed_complaint(department=department, category="sampah")
    await api.pool.execute("UPDATE complaints SET title = '=HYPERLINK(\"http://x\")' WHERE id = $1", ids[0])
    response = await api.client.get("/v1/staff/queue.csv", params={"category": "lampu_jalan"}, headers=headers)
    assert response.status_code == 200 and response.headers["content-type"].startswith("text/csv")
    rows = list(csv.DictReader(io.StringIO(response.text)))
    codes = await api.pool.fetch("SELECT tracking_code FROM complaints WHERE id = ANY($1::uuid[])", ids)
    assert sorted(row["tracking_code"] for row in rows) == sorted(r["tracking_code"] for r in codes)
    assert all(row["category"] == "lampu_jalan" and row["sla_state"] in ("on_track", "due_soon") for row in rows)
    assert any(row["title"].startswith("'=") for row in rows)
    assert (await api.client.get("/v1/staff/queue.csv")).status_code == 401


async def test_public_api_shows_only_public_complaints_without_identities(status_api):
    api = status_api
    category = "cat_" + uuid.uuid4().hex[:6]
    public_id = await api.seed_complaint(category=category, description="Ditulis oleh Pak Joko RT 05")
    confidential_id = await api.seed_complaint(category=category)
    await api.pool.execute("UPDATE complaints SET privacy = 'rahasia' WHERE id = $1", confidential_id)
    page = (await api.client.get("/v1/public/complaints", params={"category": category})).json()
    assert [item["id"] for item in page["items"]] == [str(public_id)]
    item = page["items"][0]
    assert set(item) == {"id", "category", "kelurahan", "department", "status", "submitted_at", "resolved_at", "after_photo_ids"}
    assert "Joko" not in str(page)
    more = [await api.seed_complaint(category=category) for _ in range(2)]
    first = (await api.client.get("/v1/public/complaints", params={"category": category, "limit": 2})).json()
    rest = (await api.client.get("/v1/public/complaints", params={"category": category, "limit": 2, "cursor": first["next_cursor"]})).json()
    assert [i["id"] for i in first["items"] + rest["items"]] == [str(more[1]), str(more[0]), str(public_id)]
    assert rest["next_cursor"] is None
    assert (await api.client.get("/v1/public/complaints", params={"cursor": "x"})).status_code == 422
    performance = await api.client.get("/v1/public/departments/performance")
    assert performance.status_code == 200 and "DISHUB" in {row["department"] for row in performance.json()["durations"]}
