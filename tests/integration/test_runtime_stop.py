"""Shutdown is bounded: a background task that ignores its cancellation, or keeps a pooled
connection, is logged and passed over instead of keeping the process (or a test) alive forever."""

from __future__ import annotations

import asyncio
import time

import structlog
from structlog.testing import capture_logs

from sigap_shared.db import create_pool
from sigap_shared.runtime import Runtime, stop_runtime
from sigap_shared.settings import ServiceSettings
from tests.support.infra import random_name


async def test_a_task_that_ignores_cancel_and_holds_a_connection_does_not_hang_shutdown(infra, databases):
    name = await databases.create("sigap_stop")
    settings = ServiceSettings(**infra.settings_kwargs(database=name, group_prefix=random_name("stop")), service_name="stopper")
    pool = await create_pool(settings.pg_connect_kwargs(), min_size=1, max_size=2)
    borrowed = asyncio.Event()
    release = asyncio.Event()

    async def stubborn() -> None:
        async with pool.acquire() as conn:
            await conn.fetchval("SELECT 1")
            borrowed.set()
            while not release.is_set():
                try:
                    await asyncio.sleep(0.05)
                except asyncio.CancelledError:
                    continue  # the defect this guards against: a swallowed cancellation

    runtime = Runtime(settings=settings, pool=pool)
    task = asyncio.create_task(stubborn(), name="stubborn")
    runtime.tasks.append(task)
    await borrowed.wait()
    started = time.monotonic()
    try:
        with capture_logs() as logs:
            await stop_runtime(runtime, step_timeout_s=0.5)
        took = time.monotonic() - started
    finally:
        release.set()
        await asyncio.gather(task, return_exceptions=True)
    events = {entry["event"]: entry for entry in logs}
    assert took < 5, took
    assert events["task_did_not_stop"]["task"] == "stubborn"
    assert any("stubborn" in frame for frame in events["task_did_not_stop"]["waiting_at"])
    assert events["pool_did_not_close"]["borrowed"] == 1
    assert "service_stopped" in events
    # The lines render in both log formats (the console renderer treats some keys specially).
    for entry in logs:
        structlog.dev.ConsoleRenderer(colors=False)(None, entry["log_level"], dict(entry))
        structlog.processors.JSONRenderer()(None, entry["log_level"], dict(entry))
    assert pool.is_closing()
