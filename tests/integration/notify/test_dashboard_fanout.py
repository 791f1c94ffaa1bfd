"""The staff live stream across replicas: two notify processes' apps on one database (as two
replicas are), a stream open on each. Whichever replica's dispatcher delivers a dashboard
notification, both streams hear it, once each; a replica whose listener connection is cut
tells its streams to refresh (`resync`) when it is back, and hears the next one again; a
claim rolled back pushes nothing."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator

import httpx
import pytest

from sigap_notify.bootstrap import create_app
from sigap_notify.dashboard.fanout import CHANNEL, PostgresFanOut
from sigap_notify.dashboard.hub import DashboardHub
from sigap_shared.auth import StaffPrincipal, issue_access_token
from tests.integration.notify.conftest import handle, live_stream, notify_settings, random_department, routed
from tests.integration.notify.support import serve_asgi
from tests.support.kafka import eventually

pytestmark = pytest.mark.integration


@contextlib.asynccontextmanager
async def replica_stream(settings, department: str) -> AsyncIterator[tuple[object, list[dict]]]:
    """One replica (its own app, pool, dispatcher and listener) and a department admin's
    stream open on it; yields the app and the messages the stream received so far."""
    app = create_app(settings, consumers=False)
    token = issue_access_token(
        StaffPrincipal(username="admin.fanout", role="dept_admin", department=department),
        secret=settings.jwt_secret.get_secret_value(),
    )
    async with serve_asgi(app, lifespan="on") as url, httpx.AsyncClient(base_url=url, timeout=30) as client:
        async with live_stream(app, client, {"Authorization": f"Bearer {token}"}, department) as received:
            yield app, received


def _about(received: list[dict], complaint_id) -> list[dict]:
    return [m for m in received if m["complaint_id"] == str(complaint_id)]


async def _listeners(pool) -> list[int]:
    return [
        row["pid"]
        for row in await pool.fetch(
            "SELECT pid FROM pg_stat_activity WHERE datname = current_database() AND query = $1",
            f'LISTEN "{CHANNEL}"',
        )
    ]


async def _listening(pool, replicas: int) -> list[int]:
    """The listeners' backend ids once `replicas` of them are listening, else []."""
    pids = await _listeners(pool)
    return pids if len(pids) == replicas else []


async def test_a_stream_hears_what_any_replica_delivers_once(infra, notify_pool, notify_database):
    department = random_department()
    settings = notify_settings(infra, notify_database)
    async with replica_stream(settings, department) as (_, first), replica_stream(settings, department) as (_, second):
        await eventually(lambda: _listening(notify_pool, 2), timeout_s=30)
        complaints = [routed(department=department) for _ in range(4)]
        for event in complaints:
            await handle(notify_pool, event)
        for received in (first, second):
            await eventually(
                lambda received=received: all(_about(received, e.data.complaint_id) for e in complaints), timeout_s=60
            )
        await asyncio.sleep(1)  # a second copy, if any, would arrive by now
    for received in (first, second):
        for event in complaints:
            assert [m["template"] for m in _about(received, event.data.complaint_id)] == ["staff.new_in_queue"]
    # Each notification left one dispatcher once, whichever replica claimed it.
    sent = await notify_pool.fetch(
        "SELECT complaint_id, count(*) AS n FROM notifications WHERE channel = 'dashboard' GROUP BY complaint_id"
    )
    assert sorted((str(r["complaint_id"]), r["n"]) for r in sent) == sorted(
        (str(e.data.complaint_id), 1) for e in complaints
    )


async def test_a_replica_that_lost_its_listener_resyncs_its_streams(infra, notify_pool, notify_database):
    department = random_department()
    settings = notify_settings(infra, notify_database)
    async with replica_stream(settings, department) as (_, received):
        pids = await eventually(lambda: _listening(notify_pool, 1), timeout_s=30)
        await notify_pool.execute("SELECT pg_terminate_backend($1)", pids[0])
        await eventually(lambda: [m for m in received if m["template"] == "resync"], timeout_s=60)
        assert [m["complaint_id"] for m in received if m["template"] == "resync"] == [None]
        after = routed(department=department)
        await handle(notify_pool, after)
        await eventually(lambda: _about(received, after.data.complaint_id), timeout_s=60)


async def test_pushes_leave_only_when_the_claim_commits(infra, notify_pool, notify_database):
    settings = notify_settings(infra, notify_database)
    hub = DashboardHub()
    stream = hub.subscribe("DISHUB")
    fanout = PostgresFanOut(hub, pool=notify_pool, connect_kwargs=settings.pg_connect_kwargs())
    listening = asyncio.create_task(fanout.run())
    try:
        await eventually(lambda: _listening(notify_pool, 1), timeout_s=30)
        message = {"notification_id": 1, "complaint_id": "c-1", "template": "staff.new_in_queue", "params": {}}
        with pytest.raises(RuntimeError):
            async with notify_pool.acquire() as conn, conn.transaction():
                await fanout.publish_in(conn, [("DISHUB", message)])
                raise RuntimeError("the claim is rolled back")
        async with notify_pool.acquire() as conn, conn.transaction():
            await fanout.publish_in(conn, [("DISHUB", {**message, "notification_id": 2}), ("DPUPR", message)])
        first = await asyncio.wait_for(stream.get(), 10)
        await asyncio.sleep(0.5)  # anything else would have arrived by now
    finally:
        listening.cancel()
        await asyncio.gather(listening, return_exceptions=True)
    assert first["notification_id"] == 2 and stream.empty()
