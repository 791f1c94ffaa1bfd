"""Complaints posted at a steady rate while parts of the system fail, and the checks that
follow: every complaint intake acknowledged arrives at its department exactly once, and its
"received" email is settled (sent, or reported as not sent). Used by the chaos test and the
Kafka cluster test."""

from __future__ import annotations

import asyncio
import time
from collections import Counter

import asyncpg
import httpx

from tests.support.infra import Infra


def complaint_body(n: int) -> dict:
    return {
        "kind": "pengaduan",
        "description": f"Jalan berlubang besar di depan gang nomor {n}, sudah ada motor jatuh, mohon diperbaiki",
        "category": "jalan_rusak",
        "location": {"lat": -6.3912, "lon": 106.8243},
        "privacy": "publik",
        "reporter": {"email": reporter_email(n)},
    }


def reporter_email(n: int) -> str:
    return f"pelapor.{n}@example.com"


class Load:
    """Posts complaints at a steady rate and remembers what intake acknowledged. With several
    URLs (replicas of intake) the posts go round them, as a load balancer would send them."""

    def __init__(self, url: str | list[str], *, rate_per_s: float) -> None:
        self.urls = [url] if isinstance(url, str) else list(url)
        self.rate_per_s = rate_per_s
        self.accepted: dict[str, int] = {}  # complaint id -> n
        self.statuses: Counter[int | str] = Counter()

    async def run(self, seconds: float) -> None:
        async with httpx.AsyncClient(timeout=10) as client:
            tasks = []
            start = time.monotonic()
            n = 0
            while time.monotonic() - start < seconds:
                tasks.append(asyncio.create_task(self._post(client, n)))
                n += 1
                await asyncio.sleep(max(0.0, start + n / self.rate_per_s - time.monotonic()))
            await asyncio.gather(*tasks)

    async def _post(self, client: httpx.AsyncClient, n: int) -> None:
        # Like a load balancer, a refused connection (nothing sent) is tried at the next replica.
        for attempt in range(len(self.urls)):
            try:
                response = await client.post(self.urls[(n + attempt) % len(self.urls)], json=complaint_body(n))
                break
            except httpx.ConnectError as exc:
                if attempt + 1 < len(self.urls):
                    continue
                self.statuses[type(exc).__name__] += 1
                return
            except httpx.HTTPError as exc:  # intake itself killed: no answer is no acknowledgement
                self.statuses[type(exc).__name__] += 1
                return
        self.statuses[response.status_code] += 1
        if response.status_code == 201:
            self.accepted[response.json()["id"]] = n


async def wait_until_settled(infra: Infra, databases: dict[str, str], load: Load, timeout_s: float = 180) -> None:
    """Until every acknowledged complaint is received at its department and its received email
    is settled (sent, or reported as failed/undeliverable)."""
    accepted = list(load.accepted)
    deadline = time.monotonic() + timeout_s
    while True:
        try:
            status = await asyncpg.connect(**infra.pg_kwargs(databases["status"]))
            notify = await asyncpg.connect(**infra.pg_kwargs(databases["notify"]))
            try:
                received = await status.fetchval(
                    "SELECT count(*) FROM complaints WHERE id = ANY($1::uuid[]) AND status IS NOT NULL", accepted
                )
                settled = await notify.fetchval(
                    "SELECT count(DISTINCT complaint_id) FROM notifications"
                    " WHERE complaint_id = ANY($1::uuid[]) AND template = 'reporter.status.diterima'"
                    " AND channel = 'email' AND status IN ('sent', 'failed', 'undeliverable')",
                    accepted,
                )
            finally:
                await status.close()
                await notify.close()
            if received == len(accepted) and settled == len(accepted):
                return
        except (OSError, asyncpg.PostgresError):
            received = settled = -1
        if time.monotonic() > deadline:
            raise AssertionError(f"after {timeout_s}s: {received} received, {settled} settled of {len(accepted)}")
        await asyncio.sleep(1)


async def outcome(
    infra: Infra, databases: dict[str, str], load: Load
) -> tuple[set[str], dict[str, int], dict[str, list[str]]]:
    """What the system holds about the acknowledged complaints: the ids intake stored, the
    number of `diterima` timeline entries per complaint at status, and the statuses of each
    complaint's received-email deliveries at notify."""
    accepted = list(load.accepted)
    intake = await asyncpg.connect(**infra.pg_kwargs(databases["intake"]))
    status = await asyncpg.connect(**infra.pg_kwargs(databases["status"]))
    notify = await asyncpg.connect(**infra.pg_kwargs(databases["notify"]))
    try:
        stored = {str(row["id"]) for row in await intake.fetch("SELECT id FROM complaints")}
        received = {
            str(row["complaint_id"]): row["entries"]
            for row in await status.fetch(
                "SELECT complaint_id, count(*) AS entries FROM timeline"
                " WHERE complaint_id = ANY($1::uuid[]) AND event_type = 'sigap.complaint.status_changed.v1'"
                " AND detail->>'to' = 'diterima' GROUP BY complaint_id",
                accepted,
            )
        }
        deliveries: dict[str, list[str]] = {}
        for row in await notify.fetch(
            "SELECT complaint_id, status FROM notifications WHERE complaint_id = ANY($1::uuid[])"
            " AND template = 'reporter.status.diterima' AND channel = 'email'",
            accepted,
        ):
            deliveries.setdefault(str(row["complaint_id"]), []).append(row["status"])
    finally:
        await intake.close()
        await status.close()
        await notify.close()
    return stored, received, deliveries
