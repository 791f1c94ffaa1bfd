"""Escalation ladders on real PostgreSQL and Kafka: the SLA sweep climbs each breach's ladder
one step at a time, each step once however often and however many sweeps run side by side,
on the timeline and through the outbox onto the SLA topic."""

from __future__ import annotations

import asyncio
import uuid
from datetime import UTC, datetime, timedelta

import orjson
import pytest

from sigap_shared.events import TOPIC_COMPLAINT_SLA, ComplaintEscalated, decode
from sigap_status.escalation.rules import EscalationPolicy, parse_ladder, parse_overrides
from sigap_status.escalation.sweep import Escalation, sweep_escalations
from sigap_status.sla import sweep
from sigap_status.sla.rules import WorkingCalendar
from tests.integration.status.test_assignment_and_message_events import running_relay
from tests.support.kafka import collect, eventually

pytestmark = pytest.mark.integration

ESCALATION = Escalation(policy=EscalationPolicy(), calendar=WorkingCalendar())


def random_department() -> str:
    return "ES" + uuid.uuid4().hex[:6].upper()


async def _escalations(api, complaint_id) -> list[dict]:
    rows = await api.pool.fetch(
        "SELECT payload FROM outbox WHERE key = $1 AND topic = 'sigap.complaint.sla'"
        " AND headers::text LIKE '%sigap.complaint.escalated.v1%' ORDER BY id",
        str(complaint_id).encode(),
    )
    return [orjson.loads(row["payload"]) for row in rows]


async def _breach(api, complaint_id, *, now: datetime) -> None:
    await api.pool.execute("UPDATE complaints SET sla_due_at = $2::timestamptz - interval '1 minute' WHERE id = $1", complaint_id, now)
    async with api.pool.acquire() as conn:
        assert await sweep.sweep_sla_breaches(conn=conn, now=now) >= 1


async def _concurrently(api, *, now: datetime, escalation: Escalation = ESCALATION, sweeps: int = 4) -> None:
    async def one() -> None:
        async with api.pool.acquire() as conn:
            while await sweep_escalations(conn=conn, escalation=escalation, now=now) > 0:
                pass

    await asyncio.gather(*(one() for _ in range(sweeps)))


async def test_each_step_fires_once_under_repeated_and_concurrent_sweeps(status_api, infra):
    api = status_api
    department = random_department()
    _, headers = await api.staff("dept_admin", department)
    late = await api.seed_complaint(department=department)
    on_time = await api.seed_complaint(department=department)
    now = datetime.now(UTC)
    await _breach(api, late, now=now)

    async with api.pool.acquire() as conn:
        await sweep_escalations(conn=conn, escalation=ESCALATION, now=now)
        assert await sweep_escalations(conn=conn, escalation=ESCALATION, now=now) == 0
    await _concurrently(api, now=now + timedelta(hours=1))
    assert [e["step"] for e in await _escalations(api, late)] == ["head_of_department"]

    # Three working days later (at most a week and a half, whatever holidays fall between)
    # the city is told: once, though four sweeps race for it, twice over.
    city_day = now + timedelta(days=12)
    await _concurrently(api, now=city_day)
    await _concurrently(api, now=city_day + timedelta(minutes=5))
    events = await _escalations(api, late)
    assert [(e["step"], e["step_number"], e["stage"], e["department"]) for e in events] == [
        ("head_of_department", 1, "verify", department),
        ("city", 2, "verify", department),
    ]
    assert events[1]["working_days_overdue"] >= 3
    assert await _escalations(api, on_time) == []
    assert await api.pool.fetchval("SELECT escalation_next_at FROM complaints WHERE id = $1", late) is None

    staff_view = (await api.client.get(f"/v1/staff/complaints/{late}", headers=headers)).json()
    steps = [e["detail"]["step"] for e in staff_view["timeline"] if e["type"] == ComplaintEscalated.event_type]
    assert steps == ["head_of_department", "city"]

    # They reach Kafka through the outbox, once each.
    async with running_relay(infra, api):
        records = await collect(
            infra.kafka_bootstrap,
            [infra.topic(TOPIC_COMPLAINT_SLA)],
            keep=lambda record: record.key == str(late).encode(),
            until=lambda kept: sum(decode(r.headers, r.value).type == ComplaintEscalated.event_type for r in kept) >= 2,
            settle_s=2.0,
            timeout_s=40,
        )
    published = [decode(r.headers, r.value).data for r in records]
    escalated = [data for data in published if isinstance(data, ComplaintEscalated)]
    assert [(data.step, data.tracking_code) for data in escalated] == [
        ("head_of_department", events[0]["tracking_code"]),
        ("city", events[0]["tracking_code"]),
    ]


async def test_a_new_breach_climbs_its_own_ladder(status_api):
    api = status_api
    department = random_department()
    _, headers = await api.staff("dept_admin", department)
    complaint_id = await api.seed_complaint(department=department)
    now = datetime.now(UTC)
    await _breach(api, complaint_id, now=now)
    await _concurrently(api, now=now)
    verified = await api.transition(complaint_id, headers, "terverifikasi")
    assert verified.status_code == 200, verified.text
    # The follow-up deadline is not breached yet: nothing more, even though its time passes.
    await _concurrently(api, now=now + timedelta(days=1))
    assert [e["stage"] for e in await _escalations(api, complaint_id)] == ["verify"]
    later = now + timedelta(days=30)
    async with api.pool.acquire() as conn:
        assert await sweep.sweep_sla_breaches(conn=conn, now=later) >= 1
    await _concurrently(api, now=later)
    assert [(e["stage"], e["step"]) for e in await _escalations(api, complaint_id)] == [
        ("verify", "head_of_department"),
        ("finish", "head_of_department"),
    ]


async def test_department_and_category_ladders_override_the_default(status_api):
    api = status_api
    fast, none = random_department(), random_department()
    escalation = Escalation(
        policy=EscalationPolicy(
            default=parse_ladder("head_of_department:0,city:3"),
            overrides=parse_overrides(f"{fast}=city:0;{none}=;*/banjir=head_of_department:0,walikota:1"),
        ),
        calendar=WorkingCalendar(),
    )
    straight_to_city = await api.seed_complaint(department=fast)
    never = await api.seed_complaint(department=none)
    flood = await api.seed_complaint(department=none, category="banjir")
    now = datetime.now(UTC)
    for complaint_id in (straight_to_city, never, flood):
        await _breach(api, complaint_id, now=now)
    await _concurrently(api, now=now + timedelta(days=12), escalation=escalation)
    assert [e["step"] for e in await _escalations(api, straight_to_city)] == ["city"]
    assert await _escalations(api, never) == []
    assert [e["step"] for e in await _escalations(api, flood)] == ["head_of_department", "walikota"]


async def test_the_running_sweeps_of_two_replicas_tell_each_step_once(status_api):
    api = status_api
    complaint_id = await api.seed_complaint(department=random_department())
    await api.pool.execute("UPDATE complaints SET sla_due_at = now() - interval '1 minute' WHERE id = $1", complaint_id)
    replicas = [
        asyncio.create_task(sweep.run_sla_sweep(api.pool, interval_s=0.05, escalation=ESCALATION)) for _ in range(2)
    ]
    try:
        await eventually(lambda: _escalations(api, complaint_id), timeout_s=30)
        # A later breach elsewhere, swept too, is the sign both replicas went round again.
        marker = await api.seed_complaint(department=random_department())
        await api.pool.execute("UPDATE complaints SET sla_due_at = now() - interval '1 minute' WHERE id = $1", marker)
        await eventually(lambda: _escalations(api, marker), timeout_s=30)
    finally:
        for task in replicas:
            task.cancel()
        await asyncio.gather(*replicas, return_exceptions=True)
    assert [e["step"] for e in await _escalations(api, complaint_id)] == ["head_of_department"]


async def test_statistics_count_breaches_escalations_and_days_overdue(status_api):
    api = status_api
    department, quiet = random_department(), random_department()
    _, headers = await api.staff("dept_admin", department)
    _, quiet_headers = await api.staff("dept_admin", quiet)
    twice_late = await api.seed_complaint(department=department)
    once_late = await api.seed_complaint(department=department)
    await api.seed_complaint(department=department)  # on time
    await api.seed_complaint(department=quiet)
    now = datetime.now(UTC)
    for complaint_id in (twice_late, once_late):
        await _breach(api, complaint_id, now=now)
    await _concurrently(api, now=now + timedelta(days=12))  # both steps of both
    # One breach was three days overdue when the complaint was verified; the other still runs.
    await api.pool.execute(
        "UPDATE complaints SET verify_breached_at = now() - interval '3 days' WHERE id = $1", once_late
    )
    await api.pool.execute(
        "UPDATE complaints SET verify_breached_at = now() - interval '5 days' WHERE id = $1", twice_late
    )
    verified = await api.transition(once_late, headers, "terverifikasi")
    assert verified.status_code == 200, verified.text

    staff = (await api.client.get("/v1/staff/statistics", headers=headers)).json()
    [mine] = staff["escalation"]
    assert mine["department"] == department
    assert (mine["breaches"], mine["escalations"], mine["escalated_complaints"]) == (2, 4, 2)
    assert mine["median_days_overdue"] == 4.0  # the median of 3 and 5
    assert mine["steps"] == [
        {"step": "head_of_department", "step_number": 1, "escalations": 2},
        {"step": "city", "step_number": 2, "escalations": 2},
    ]
    assert (await api.client.get("/v1/staff/statistics", headers=quiet_headers)).json()["escalation"] == []

    public = (await api.client.get("/v1/public/departments/performance")).json()
    by_department = {row["department"]: row for row in public["escalation"]}
    assert by_department[department] == mine and quiet not in by_department


async def test_the_escalated_complaints_list_and_the_queue_show_the_steps_a_running_breach_climbed(status_api):
    api = status_api
    department, other = random_department(), random_department()
    _, headers = await api.staff("dept_admin", department)
    _, other_headers = await api.staff("dept_admin", other)
    _, city = await api.staff("city_admin")
    _, officer = await api.staff("field_officer", department)
    escalated = await api.seed_complaint(department=department)
    later_done = await api.seed_complaint(department=department)
    elsewhere = await api.seed_complaint(department=other)
    now = datetime.now(UTC)
    for complaint_id in (escalated, later_done, elsewhere):
        await _breach(api, complaint_id, now=now)
    await _concurrently(api, now=now + timedelta(days=12))  # both steps of each
    # A stage done ends the running breach: its complaint is no longer escalated.
    verified = await api.transition(later_done, headers, "terverifikasi")
    assert verified.status_code == 200, verified.text

    listed = await api.client.get("/v1/staff/escalations", headers=headers)
    assert listed.status_code == 200, listed.text
    body = listed.json()
    assert body["department"] == department
    [item] = body["items"]
    assert item["id"] == str(escalated) and item["department"] == department
    assert [(s["step"], s["step_number"]) for s in item["steps"]] == [("head_of_department", 1), ("city", 2)]
    assert all(s["escalated_at"] for s in item["steps"]) and item["sla_breached_at"]
    assert item["working_days_overdue"] is not None

    # Department isolation: another department's staff see only theirs; the city admin any.
    assert [i["id"] for i in (await api.client.get("/v1/staff/escalations", headers=other_headers)).json()["items"]] == [
        str(elsewhere)
    ]
    refused = await api.client.get("/v1/staff/escalations", params={"department": other}, headers=headers)
    assert refused.status_code == 403 and refused.json()["type"] == "/problems/forbidden"
    city_ids = {
        i["id"]
        for i in (await api.client.get("/v1/staff/escalations", params={"limit": 500}, headers=city)).json()["items"]
    }
    assert {str(escalated), str(elsewhere)} <= city_ids and str(later_done) not in city_ids
    assert (await api.client.get("/v1/staff/escalations", headers=officer)).status_code == 403
    assert (await api.client.get("/v1/staff/escalations", params={"limit": 0}, headers=city)).status_code == 422

    queue = (await api.client.get("/v1/staff/queue", params={"department": department}, headers=headers)).json()
    steps = {item["id"]: item["escalation_steps"] for item in queue["items"]}
    assert steps[str(escalated)] == ["head_of_department", "city"] and steps[str(later_done)] == []


async def _breached_long_ago(api, complaint_id, *, at: datetime) -> None:
    """Moves a running breach (and the steps it climbed) to `at`."""
    async with api.pool.acquire() as conn, conn.transaction():
        await conn.execute(
            "UPDATE complaint_escalations e SET breached_at = $2 FROM complaints c"
            " WHERE c.id = $1 AND e.complaint_id = c.id AND e.breached_at = c.sla_breached_at",
            complaint_id,
            at,
        )
        await conn.execute("UPDATE complaints SET sla_breached_at = $2 WHERE id = $1", complaint_id, at)


async def test_the_escalated_complaints_list_gives_every_department_a_turn_and_counts_them_all(status_api):
    api = status_api
    busy, quiet = random_department(), random_department()
    _, city = await api.staff("city_admin")
    busy_ids = [await api.seed_complaint(department=busy) for _ in range(3)]
    quiet_id = await api.seed_complaint(department=quiet)
    now = datetime.now(UTC)
    for complaint_id in (*busy_ids, quiet_id):
        await _breach(api, complaint_id, now=now)
    await _concurrently(api, now=now + timedelta(days=12))
    # The busy department's breaches are all older than the quiet one's, so they would fill a
    # page ordered only by age.
    long_ago = datetime(2000, 1, 1, tzinfo=UTC)
    for days, complaint_id in enumerate((*busy_ids, quiet_id)):
        await _breached_long_ago(api, complaint_id, at=long_ago + timedelta(days=days))
    first_two = (await api.client.get("/v1/staff/escalations", params={"limit": 2}, headers=city)).json()
    assert [i["id"] for i in first_two["items"]] == [str(busy_ids[0]), str(quiet_id)]
    # The counts cover every escalated complaint, not only the page (this test's database is its own).
    assert first_two["by_department"] == [
        {"department": busy, "complaints": 3},
        {"department": quiet, "complaints": 1},
    ]
    assert (first_two["total"], first_two["offset"]) == (4, 0)

    # One department's list, a page at a time, longest breached first.
    pages = [
        (
            await api.client.get(
                "/v1/staff/escalations", params={"department": busy, "limit": 2, "offset": offset}, headers=city
            )
        ).json()
        for offset in (0, 2)
    ]
    assert [[i["id"] for i in page["items"]] for page in pages] == [
        [str(busy_ids[0]), str(busy_ids[1])],
        [str(busy_ids[2])],
    ]
    assert [(page["total"], page["offset"], page["by_department"]) for page in pages] == [
        (3, 0, [{"department": busy, "complaints": 3}]),
        (3, 2, [{"department": busy, "complaints": 3}]),
    ]
