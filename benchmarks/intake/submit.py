"""Intake's share of the per-complaint cost: POST /v1/complaints through the real FastAPI app
(in-process ASGI, no sockets) on a fresh database built by intake's migrations, with an
Idempotency-Key and a confidential reporter (so the encryption and the retry record are paid
for). Prints complaints/s and this process's CPU-ms per complaint (PostgreSQL's CPU is not
included; the whole-system benchmark measures every process).

    uv run python -m benchmarks.intake.submit [--complaints 3000] [--concurrency 32]
"""

from __future__ import annotations

import argparse
import asyncio
import dataclasses
import tempfile
import time
import uuid
from pathlib import Path

import asyncpg
import httpx

from sigap_intake.bootstrap import build_spec, create_app
from sigap_intake.settings import IntakeSettings
from sigap_shared.logging import configure_logging
from benchmarks.support import pg_kwargs


def _complaint(n: int) -> dict:
    return {
        "kind": "pengaduan",
        "description": f"Jalan berlubang nomor {n} di Jl. Margonda Raya, membahayakan pengendara motor",
        "category": "jalan_rusak",
        "location": {"lat": -6.37, "lon": 106.83, "address": "Jl. Margonda Raya"},
        "privacy": "rahasia",
        "reporter": {"name": "Warga Depok", "phone": "081234567890", "email": "warga@example.com"},
    }


async def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--complaints", type=int, default=3000)
    parser.add_argument("--concurrency", type=int, default=32)
    args = parser.parse_args()
    configure_logging(service="intake-bench", fmt="json", level="WARNING")

    database = f"sigap_bench_submit_{uuid.uuid4().hex[:8]}"
    admin = await asyncpg.connect(**pg_kwargs("postgres"))
    await admin.execute(f'CREATE DATABASE "{database}"')
    try:
        # Photos are measured by benchmarks.intake.photos; here the complaint itself. The app is
        # the one the service runs, without its consumer and outbox relay (not the HTTP path).
        settings = IntakeSettings(
            pg_database=database,
            pg_pool_min=4,
            pg_pool_max=args.concurrency,
            photo_dir=Path(tempfile.mkdtemp()),
            min_photos=0,
        )
        app = create_app(settings, dataclasses.replace(build_spec(settings), consumers=(), publishes=False))
        transport = httpx.ASGITransport(app=app)
        async with (
            app.router.lifespan_context(app),
            httpx.AsyncClient(transport=transport, base_url="http://intake") as client,
        ):
            pool = app.state.context.pool
            queue: asyncio.Queue[int] = asyncio.Queue()
            for n in range(args.complaints):
                queue.put_nowait(n)
            failures = 0

            async def worker() -> None:
                nonlocal failures
                while not queue.empty():
                    n = queue.get_nowait()
                    response = await client.post(
                        "/v1/complaints", json=_complaint(n), headers={"Idempotency-Key": str(uuid.uuid4())}
                    )
                    if response.status_code != 201:
                        failures += 1
                        if failures == 1:
                            print("  first failure:", response.status_code, response.text[:300])

            for n in range(50):  # warm-up
                await client.post("/v1/complaints", json=_complaint(n))
            cpu0, wall0 = time.process_time(), time.perf_counter()
            await asyncio.gather(*(worker() for _ in range(args.concurrency)))
            cpu, wall = time.process_time() - cpu0, time.perf_counter() - wall0
            stored = await pool.fetchval("SELECT count(*) FROM complaints")
    finally:
        await admin.execute(f'DROP DATABASE IF EXISTS "{database}" WITH (FORCE)')
        await admin.close()

    print("Intake submission benchmark (in-process ASGI, real PostgreSQL, Idempotency-Key, rahasia reporter)")
    print(f"  complaints          {args.complaints} (concurrency {args.concurrency}), failures {failures}, stored {stored}")
    print(f"  throughput          {args.complaints / wall:8.1f} complaints/s (one process, one event loop)")
    print(f"  intake CPU          {cpu / args.complaints * 1000:8.2f} ms per complaint (this process only)")


if __name__ == "__main__":
    asyncio.run(main())
