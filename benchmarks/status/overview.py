"""Transparency and overview benchmark: bulk-load complaints with COPY into a fresh database
(the status service's real schema and indexes), then time what the public page and the staff
statistics page ask status: the public map counts (`/v1/public/kelurahan`), the public list
with the page's filters (`/v1/public/complaints`), and the staff overview (per day, open per
kelurahan).

    uv run python -m benchmarks.status.overview --rows 1000000
    uv run python -m benchmarks.status.overview --rows 1000000 --drop-index complaints_age_idx

Needs PostgreSQL running (`deploy/infra.sh up`). Creates a database `sigap_bench_overview_*`
and drops it at the end. `--drop-index` removes indexes after loading, to measure without them.
Queries go through the same query functions the API uses; the report prints p50/p99 per query.
Target: p99 <= 50 ms for what the public can call, at one million complaints. The map's count
reads a year of listed complaints (about a second at a million), so the endpoint shares one
answer per interval: the public pays the query once per interval, every request after it the
shared answer (`/v1/public/kelurahan` line)."""

from __future__ import annotations

import argparse
import asyncio
import random
import time
import uuid
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime, timedelta

import asyncpg

from benchmarks.status.queue import (
    CATEGORIES,
    DEPARTMENTS,
    database_arguments,
    loaded_complaints,
    print_table_size,
    submitted_and_status,
)
from benchmarks.support import print_latencies
from sigap_status.overview import queries
from sigap_status.overview.router import _PublicMap
from sigap_status.public import queries as public_queries

# Depok's kelurahan by name, spread over the city's extent.
KELURAHAN = [(f"Kelurahan {i:02d}", -6.35 - (i % 9) * 0.02, 106.72 + (i // 9) * 0.025) for i in range(63)]
PRIVACY = [("publik", 70), ("rahasia", 20), ("anonim", 10)]
COLUMNS = (
    "id", "tracking_code", "kind", "category", "department", "status", "version", "submitted_at", "updated_at",
    "kelurahan", "lat", "lon", "privacy", "publicly_visible", "received_at", "resolved_at",
)


def _rows(count: int, *, now: datetime, seed: int):
    rng = random.Random(seed)
    departments, weights = list(DEPARTMENTS), list(DEPARTMENTS.values())
    privacies, privacy_weights = [p for p, _ in PRIVACY], [w for _, w in PRIVACY]
    for _ in range(count):
        submitted, status = submitted_and_status(rng, now=now)
        privacy = rng.choices(privacies, privacy_weights)[0]
        name, lat, lon = rng.choice(KELURAHAN)
        resolved = submitted + timedelta(hours=rng.randrange(2, 400)) if status == "selesai" else None
        yield (
            uuid.uuid4(), f"SGP-{rng.randrange(36**6):06X}"[:11], "pengaduan", rng.choice(CATEGORIES),
            rng.choices(departments, weights)[0], status, 1, submitted, submitted, name,
            lat + rng.uniform(-0.01, 0.01), lon + rng.uniform(-0.01, 0.01), privacy,
            privacy == "publik" and rng.random() < 0.9, submitted, resolved,
        )


async def load(conn: asyncpg.Connection, rows: int, *, now: datetime) -> float:
    """COPY the complaints with the indexes dropped, then rebuild them from their definitions."""
    indexes = await conn.fetch(
        "SELECT indexname, indexdef FROM pg_indexes WHERE tablename = 'complaints' AND indexname <> 'complaints_pkey'"
    )
    for index in indexes:
        await conn.execute(f'DROP INDEX "{index["indexname"]}"')
    started = time.perf_counter()
    generator = _rows(rows, now=now, seed=42)
    loaded = 0
    while loaded < rows:
        chunk = [next(generator) for _ in range(min(100_000, rows - loaded))]
        await conn.copy_records_to_table("complaints", records=chunk, columns=COLUMNS)
        loaded += len(chunk)
        print(f"  loaded {loaded:>9,} rows ({time.perf_counter() - started:6.1f} s)", flush=True)
    await conn.execute("SET maintenance_work_mem = '256MB'")
    for index in indexes:
        await conn.execute(index["indexdef"])
    await conn.execute("VACUUM ANALYZE complaints")
    return time.perf_counter() - started


def _scenarios(rng: random.Random, *, now: datetime) -> dict[str, Callable[[asyncpg.Connection], Awaitable[list]]]:
    year_ago, tomorrow = now - timedelta(days=365), now + timedelta(days=1)
    big = ["DPUPR", "DLHK", "DISHUB"]
    names = [name for name, _, _ in KELURAHAN]

    def public_list(**filters):
        return lambda conn: public_queries.list_public(
            conn=conn, **{"category": None, "kelurahan": None, "status": None, **filters}, limit=21, after=None
        )

    shared_map = _PublicMap()
    return {
        "public: map counts, a year (the query)": lambda conn: queries.public_cells(
            conn=conn, since=year_ago, until=tomorrow
        ),
        "public: /v1/public/kelurahan (shared answer)": lambda conn: shared_map.get(conn),
        "public: list, newest": public_list(),
        "public: list, kelurahan": lambda conn: public_list(kelurahan=rng.choice(names))(conn),
        "public: list, status diterima": public_list(status="diterima"),
        "public: list, kelurahan + dibuka_kembali": lambda conn: public_list(
            kelurahan=rng.choice(names), status="dibuka_kembali"
        )(conn),
        "staff: per day, a year, department": lambda conn: queries.per_day(
            conn=conn, department=rng.choice(big), since=year_ago, until=tomorrow
        ),
        "staff: per day, a year, city-wide": lambda conn: queries.per_day(
            conn=conn, department=None, since=year_ago, until=tomorrow
        ),
        "staff: open map, department": lambda conn: queries.open_cells(conn=conn, department=rng.choice(big)),
        "staff: open map, city-wide": lambda conn: queries.open_cells(conn=conn, department=None),
    }


async def measure(conn: asyncpg.Connection, *, repeats: int, now: datetime) -> list[tuple[str, list[float]]]:
    results = []
    for name, run in _scenarios(random.Random(7), now=now).items():
        samples = []
        for attempt in range(3 + repeats):
            started = time.perf_counter()
            await run(conn)
            if attempt >= 3:  # the first runs warm the cache and the statement cache
                samples.append((time.perf_counter() - started) * 1000)
        results.append((name, samples))
    return results


async def main_async(args: argparse.Namespace) -> None:
    now = datetime.now(UTC)
    async with loaded_complaints(args, "sigap_bench_overview", load=load, now=now) as (conn, load_s):
        for index in args.drop_index:
            await conn.execute(f'DROP INDEX "{index}"')
            print(f"  dropped index {index}")
        await print_table_size(conn, load_s)
        results = await measure(conn, repeats=args.repeats, now=now)
    title = f"Transparency and overview at {args.rows:,} complaints ({args.repeats} runs each)"
    p99s = print_latencies(title, results, width=44)
    worst_public = max(
        (p99 for query, p99 in p99s.items() if query.startswith("public") and "(the query)" not in query), default=0.0
    )
    verdict = "OK" if worst_public <= 50 else "OVER TARGET"
    print(f"\nworst public p99: {worst_public:.2f} ms (target <= 50 ms): {verdict}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    database_arguments(parser, repeats=50)
    parser.add_argument("--drop-index", action="append", default=[], help="drop this index after loading")
    asyncio.run(main_async(parser.parse_args()))


if __name__ == "__main__":
    main()
