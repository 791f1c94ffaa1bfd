"""Stored Idempotency-Key results are purged once older than their retention, by the shared
housekeeping that also purges the outbox and inbox, on real PostgreSQL."""

from __future__ import annotations

import asyncio
import uuid

import pytest

from sigap_intake.bootstrap import build_spec, expiring_rows
from sigap_intake.settings import IntakeSettings
from sigap_shared.housekeeping import purge_once, run_housekeeping
from tests.integration.intake.conftest import running_intake

pytestmark = pytest.mark.integration

BODY = {
    "description": "Trotoar rusak dan berlubang di depan Stasiun Depok Baru, pejalan kaki terpaksa turun ke jalan",
    "location": {"address": "Jl. Stasiun Depok Baru"},
}


async def _submit(intake, key: str):
    return await intake.client.post("/v1/complaints", json=BODY, headers={"Idempotency-Key": key})


async def _age(intake, key: str, hours: float) -> None:
    await intake.pool.execute(
        "UPDATE idempotency_keys SET created_at = now() - make_interval(secs => $2) WHERE key = $1", key, hours * 3600
    )


async def _keys(intake) -> set[str]:
    return {row["key"] for row in await intake.pool.fetch("SELECT key FROM idempotency_keys")}


def test_intake_names_its_idempotency_keys_for_housekeeping_with_the_configured_retention():
    assert build_spec(IntakeSettings()).expiring_rows is expiring_rows
    (rows,) = expiring_rows(IntakeSettings())
    assert (rows.table, rows.timestamp_column, rows.retention_s) == ("idempotency_keys", "created_at", 24 * 3600)
    (rows,) = expiring_rows(IntakeSettings(idempotency_ttl_s=3600))
    assert rows.retention_s == 3600


async def test_keys_older_than_the_retention_are_purged_and_fresh_ones_still_replay(infra, databases, tmp_path):
    async with running_intake(infra, databases, tmp_path / "p", idempotency_ttl_s=6 * 3600) as intake:
        old, recent, fresh = (f"retry-{uuid.uuid4()}" for _ in range(3))
        first = {key: await _submit(intake, key) for key in (old, recent, fresh)}
        assert all(response.status_code == 201 for response in first.values())
        await _age(intake, old, hours=7)
        await _age(intake, recent, hours=5)
        async with intake.pool.acquire() as conn:
            removed = await purge_once(
                conn=conn,
                outbox_retention_s=24 * 3600,
                inbox_retention_s=8 * 24 * 3600,
                expiring=expiring_rows(intake.context.settings),
            )
        assert removed == {"outbox": 0, "inbox": 0, "idempotency_keys": 1}
        assert await _keys(intake) == {recent, fresh}
        # What is kept still answers its retries with the first result.
        for key in (recent, fresh):
            again = await _submit(intake, key)
            assert again.headers.get("idempotent-replayed") == "true"
            assert again.json()["id"] == first[key].json()["id"]
        assert await intake.pool.fetchval("SELECT count(*) FROM complaints") == 3


async def test_the_housekeeping_loop_purges_them_periodically(infra, databases, tmp_path):
    async with running_intake(infra, databases, tmp_path / "p") as intake:
        task = None
        try:
            stale = f"retry-{uuid.uuid4()}"
            kept = f"retry-{uuid.uuid4()}"
            for key in (stale, kept):
                assert (await _submit(intake, key)).status_code == 201
            await _age(intake, stale, hours=25)  # the default retention is 24 h
            task = asyncio.create_task(
                run_housekeeping(
                    pool=intake.pool,
                    outbox_retention_s=24 * 3600,
                    inbox_retention_s=8 * 24 * 3600,
                    expiring=expiring_rows(intake.context.settings),
                    interval_s=0.2,
                )
            )
            for _ in range(50):
                if stale not in await _keys(intake):
                    break
                await asyncio.sleep(0.1)
            assert await _keys(intake) == {kept}
            # A row aged after the first round goes in a later round.
            await _age(intake, kept, hours=30)
            for _ in range(50):
                if not await _keys(intake):
                    break
                await asyncio.sleep(0.1)
            assert await _keys(intake) == set()
        finally:
            if task is not None:
                task.cancel()
                await asyncio.gather(task, return_exceptions=True)


def test_only_plain_table_and_column_names_are_accepted():
    from sigap_shared.housekeeping import ExpiringRows

    for table, column in (("idempotency_keys; DROP TABLE complaints", "created_at"), ("idempotency_keys", "created at")):
        with pytest.raises(ValueError, match="identifier"):
            ExpiringRows(table=table, timestamp_column=column, retention_s=60)
