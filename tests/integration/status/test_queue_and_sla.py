"""The department queue (filters, Indonesian full-text search, keyset pages, sort orders) and
the SLA deadlines and breach sweep, on real PostgreSQL."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta

import orjson
import pytest

from sigap_status.sla.rules import SlaPolicy
from sigap_status.sla import sweep

pytestmark = pytest.mark.integration


async def _queue(api, headers, **params):
    response = await api.client.get("/v1/staff/queue", params=params, headers=headers)
    assert response.status_code == 200, response.text
    return response.json()


async def _all_pages(api, headers, **params):
    ids, cursor, pages = [], None, 0
    while True:
        page = await _queue(api, headers, **params, **({"cursor": cursor} if cursor else {}))
        ids.extend(item["id"] for item in page["items"])
        pages += 1
        cursor = page["next_cursor"]
        if cursor is None:
            return ids, pages


async def test_pages_walk_the_whole_queue_once_in_order(status_api):
    api = status_api
    department = "DP" + uuid.uuid4().hex[:6].upper()
    _, headers = await api.staff("dept_admin", department)
    base = datetime(2026, 11, 2, 8, 0, tzinfo=UTC)
    seeded = [await api.seed_complaint(department=department, submitted_at=base + timedelta(hours=i)) for i in range(11)]
    supported = await api.seed_complaint(department="DLH", supporting=[department], submitted_at=base + timedelta(minutes=90))
    await api.seed_complaint(department="DLH")  # not this department's
    expected = [str(c) for c in seeded[:2]] + [str(supported)] + [str(c) for c in seeded[2:]]
    ids, pages = await _all_pages(api, headers, limit=4)
    assert ids == expected and pages == 3
    newest, _ = await _all_pages(api, headers, limit=5, sort="newest")
    assert newest == list(reversed(expected))


async def test_filters_and_search(status_api):
    api = status_api
    department = "DP" + uuid.uuid4().hex[:6].upper()
    admin, headers = await api.staff("dept_admin", department)
    officer = await api.create_user("field_officer", department)
    lamp = await api.seed_complaint(department=department, category="lampu_jalan", description="Lampu PJU mati total di gang Melati")
    road = await api.seed_complaint(department=department, category="jalan_rusak", description="Jalan berlubang dekat pasar Kemiri")
    trash = await api.seed_complaint(department=department, category="sampah", description="Sampah menumpuk, bau sekali")
    await api.pool.execute("UPDATE complaints SET kelurahan = 'Beji' WHERE id = $1", road)
    verified = await api.transition(road, headers, "terverifikasi")
    await api.client.put(f"/v1/complaints/{road}/assignment", headers=headers,
                         json={"officer": officer, "expected_version": verified.json()["version"]})

    def ids(page):
        return {item["id"] for item in page["items"]}

    assert ids(await _queue(api, headers, category="lampu_jalan")) == {str(lamp)}
    assert ids(await _queue(api, headers, status="terverifikasi")) == {str(road)}
    assert ids(await _queue(api, headers, status=["diterima", "terverifikasi"])) == {str(lamp), str(road), str(trash)}
    assert ids(await _queue(api, headers, kelurahan="Beji")) == {str(road)}
    assert ids(await _queue(api, headers, officer=officer)) == {str(road)}
    assert ids(await _queue(api, headers, q="berlubang")) == {str(road)}
    assert ids(await _queue(api, headers, q="lampu mati")) == {str(lamp)}
    assert ids(await _queue(api, headers, q="sampah OR pasar")) == {str(road), str(trash)}
    assert ids(await _queue(api, headers, q="tidakadakatainidimanapun")) == set()
    tracking = await api.pool.fetchval("SELECT tracking_code FROM complaints WHERE id = $1", trash)
    assert ids(await _queue(api, headers, q=tracking)) == {str(trash)}

    await api.pool.execute("UPDATE complaints SET sla_due_at = now() - interval '1 hour' WHERE id = $1", trash)
    await api.pool.execute("UPDATE complaints SET sla_due_at = now() + interval '2 hours' WHERE id = $1", lamp)
    breached = await _queue(api, headers, sla_state="breached")
    assert ids(breached) == {str(trash)} and breached["items"][0]["sla_state"] == "breached"
    assert ids(await _queue(api, headers, sla_state="due_soon")) == {str(lamp)}
    assert ids(await _queue(api, headers, sla_state="on_track")) == {str(road)}
    by_deadline = await _queue(api, headers, sort="sla_deadline")
    assert [item["id"] for item in by_deadline["items"]] == [str(trash), str(lamp), str(road)]


@pytest.mark.parametrize(
    ("params", "field"),
    [({"cursor": "rusak"}, "cursor"), ({"limit": 0}, "limit"), ({"sort": "acak"}, "sort"), ({"status": "hilang"}, "status"),
     ({"sla_state": "telat"}, "sla_state")],
)
async def test_bad_queue_parameters_are_422_problems(status_api, params, field):
    _, headers = await status_api.staff("dept_admin", "DISHUB")
    response = await status_api.client.get("/v1/staff/queue", params=params, headers=headers)
    assert response.status_code == 422
    assert field in {error["field"].split(".")[0] for error in response.json()["errors"]}


async def test_cursor_of_one_sort_is_refused_for_another(status_api):
    api = status_api
    _, headers = await api.staff("dept_admin", "DISHUB")
    for _ in range(3):
        await api.seed_complaint(department="DISHUB")
    cursor = (await _queue(api, headers, limit=1))["next_cursor"]
    assert cursor
    response = await api.client.get("/v1/staff/queue", params={"cursor": cursor, "sort": "newest"}, headers=headers)
    assert response.status_code == 422


async def test_routing_starts_a_three_working_day_verification_deadline(status_api):
    api = status_api
    complaint_id = await api.seed_complaint()
    row = await api.pool.fetchrow("SELECT received_at, sla_stage, sla_due_at FROM complaints WHERE id = $1", complaint_id)
    assert row["sla_stage"] == "verify"
    assert row["sla_due_at"] == SlaPolicy().calendar.add_working_days(row["received_at"], 3)


async def _sla_events(api, complaint_id):
    rows = await api.pool.fetch(
        "SELECT headers, payload FROM outbox WHERE key = $1 AND topic = 'sigap.complaint.sla' ORDER BY id",
        str(complaint_id).encode(),
    )
    return [orjson.loads(row["payload"]) for row in rows]


async def test_sweep_reports_each_breach_once_and_again_after_a_new_deadline(status_api):
    api = status_api
    _, headers = await api.staff("dept_admin", "DISHUB")
    late = await api.seed_complaint()
    on_time = await api.seed_complaint()
    await api.pool.execute("UPDATE complaints SET sla_due_at = now() - interval '1 minute' WHERE id = $1", late)

    async with api.pool.acquire() as conn:
        first = await sweep.sweep_sla_breaches(conn=conn)
        second = await sweep.sweep_sla_breaches(conn=conn)
    assert first >= 1 and second == 0
    events = await _sla_events(api, late)
    assert len(events) == 1
    assert (events[0]["stage"], events[0]["status"], events[0]["department"]) == ("verify", "diterima", "DISHUB")
    assert events[0]["escalate_to"] == ["dept_admin", "city_admin"]
    assert await _sla_events(api, on_time) == []
    staff_view = (await api.client.get(f"/v1/staff/complaints/{late}", headers=headers)).json()
    assert staff_view["sla_breached_at"] and staff_view["sla_state"] == "breached"
    assert any(e["type"] == "sigap.complaint.sla_breached.v1" for e in staff_view["timeline"])

    # Verifying starts the follow-up deadline; when that one passes it is a new breach.
    verified = await api.transition(late, headers, "terverifikasi")
    assert verified.json()["sla_stage"] == "finish" and verified.json()["sla_breached_at"] is None
    async with api.pool.acquire() as conn:
        assert await sweep.sweep_sla_breaches(conn=conn, now=datetime.now(UTC) + timedelta(days=30)) >= 1
    events = await _sla_events(api, late)
    assert [event["stage"] for event in events] == ["verify", "finish"]


async def test_a_deadline_that_keeps_running_is_reported_once(status_api):
    api = status_api
    _, headers = await api.staff("dept_admin", "DISHUB")
    complaint_id = await api.seed_complaint()
    verified = await api.transition(complaint_id, headers, "terverifikasi")
    assert verified.status_code == 200
    late = datetime.now(UTC) + timedelta(days=30)
    async with api.pool.acquire() as conn:
        assert await sweep.sweep_sla_breaches(conn=conn, now=late) >= 1
    started = await api.transition(complaint_id, headers, "dalam_proses")
    assert started.status_code == 200 and started.json()["sla_breached_at"] is not None
    async with api.pool.acquire() as conn:
        await sweep.sweep_sla_breaches(conn=conn, now=late + timedelta(days=1))
    assert [event["stage"] for event in await _sla_events(api, complaint_id)] == ["finish"]


async def test_waiting_for_the_reporter_pauses_the_deadline(status_api):
    api = status_api
    _, headers = await api.staff("dept_admin", "DISHUB")
    complaint_id = await api.seed_complaint()
    await api.pool.execute("UPDATE complaints SET sla_due_at = now() - interval '1 minute' WHERE id = $1", complaint_id)

    async def waiting(value: bool):
        return await api.client.put(
            f"/v1/complaints/{complaint_id}/waiting-for-reporter",
            json={"waiting": value, "expected_version": await api.version(complaint_id)},
            headers=headers,
        )

    paused = await waiting(True)
    assert paused.status_code == 200, paused.text
    assert paused.json()["sla_state"] == "paused" and paused.json()["sla_paused_at"]
    assert (await waiting(True)).status_code == 409
    async with api.pool.acquire() as conn:
        await sweep.sweep_sla_breaches(conn=conn)
    assert await _sla_events(api, complaint_id) == []
    queue = (await api.client.get("/v1/staff/queue", params={"sla_state": "paused"}, headers=headers)).json()
    assert str(complaint_id) in {item["id"] for item in queue["items"]}
    breached = (await api.client.get("/v1/staff/queue", params={"sla_state": "breached"}, headers=headers)).json()
    assert str(complaint_id) not in {item["id"] for item in breached["items"]}

    resumed = await waiting(False)
    assert resumed.status_code == 200 and resumed.json()["sla_paused_at"] is None
    types = [e["type"] for e in (await api.client.get(f"/v1/staff/complaints/{complaint_id}", headers=headers)).json()["timeline"]]
    assert "sigap.status.waiting_for_reporter" in types and "sigap.status.reporter_answered" in types
    _, auditor = await api.staff("auditor")
    refused = await api.client.put(
        f"/v1/complaints/{complaint_id}/waiting-for-reporter",
        json={"waiting": True, "expected_version": await api.version(complaint_id)},
        headers=auditor,
    )
    assert refused.status_code == 403
