"""The view-hash index lookup of reuse detection (`repository.find_reuse_candidates`) with many
stored photos: bulk-loads random view hashes (36 per photo) into a fresh database built by
intake's own migrations (COPY), then times lookups of 48 query hashes for planted copies and
for misses. Random hashes spread evenly over the bands; real photos' hashes cluster more.

    uv run python -m benchmarks.intake.evidence_index [--photos 1000000] [--queries 300] [--keep]
"""

from __future__ import annotations

import argparse
import asyncio
import random
import statistics
import time
import uuid

import asyncpg

from benchmarks.support import percentile, pg_kwargs
from sigap_intake.photos import evidence, fingerprint, repository, reuse
from sigap_shared.db import apply_migrations, package_migrations, shared_migrations


async def _load(conn: asyncpg.Connection, photos: int, rnd: random.Random) -> tuple[float, list[list[int]]]:
    views = len(fingerprint.views())
    index_defs = [
        row["indexdef"]
        for row in await conn.fetch("SELECT indexdef FROM pg_indexes WHERE tablename = 'photo_view_hashes'"
                                    " AND indexname LIKE '%band%'")
    ]
    started = time.perf_counter()
    for definition in index_defs:
        await conn.execute("DROP INDEX " + definition.split(" INDEX ", 1)[1].split(" ON ", 1)[0])
    kept: list[list[int]] = []
    chunk = 20_000
    for start in range(0, photos, chunk):
        records = []
        for _ in range(min(chunk, photos - start)):
            photo_id, hashes = uuid.uuid4(), [rnd.getrandbits(64) for _ in range(views)]
            if len(kept) < 1000:
                kept.append(hashes)
            records.extend(
                (photo_id, view, reuse.to_signed(h), *reuse.bands(h)) for view, h in enumerate(hashes)
            )
        await conn.copy_records_to_table(
            "photo_view_hashes", records=records,
            columns=["photo_id", "view", "phash", "band0", "band1", "band2", "band3"],
        )
    for definition in index_defs:
        await conn.execute(definition)
    await conn.execute("VACUUM ANALYZE photo_view_hashes")
    return time.perf_counter() - started, kept


def _flip(value: int, bits: int, rnd: random.Random) -> int:
    for bit in rnd.sample(range(64), bits):
        value ^= 1 << bit
    return value


async def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--photos", type=int, default=1_000_000)
    parser.add_argument("--queries", type=int, default=300)
    parser.add_argument("--seed", type=int, default=14)
    parser.add_argument("--keep", action="store_true")
    args = parser.parse_args()
    rnd = random.Random(args.seed)
    query_count = 48
    database = f"sigap_bench_views_{uuid.uuid4().hex[:8]}"
    admin = await asyncpg.connect(**pg_kwargs("postgres"))
    await admin.execute(f'CREATE DATABASE "{database}"')
    try:
        pool = await asyncpg.create_pool(**pg_kwargs(database), min_size=1, max_size=2)
        await apply_migrations(pool, [shared_migrations(), package_migrations("sigap_intake")])
        async with pool.acquire() as conn:
            load_s, kept = await _load(conn, args.photos, rnd)
            size = await conn.fetchval("SELECT pg_size_pretty(pg_total_relation_size('photo_view_hashes'))")
            timings: dict[str, list[float]] = {"copy": [], "miss": []}
            found = 0
            for number in range(args.queries):
                planted = number % 2 == 0
                queries = [rnd.getrandbits(64) for _ in range(query_count)]
                if planted:
                    queries[0] = _flip(rnd.choice(kept[number % len(kept)]), rnd.randint(0, 7), rnd)
                started = time.perf_counter()
                candidates = await repository.find_reuse_candidates(conn=conn, query_hashes=tuple(queries))
                timings["copy" if planted else "miss"].append((time.perf_counter() - started) * 1000)
                found += planted and bool(candidates)
        await pool.close()
    finally:
        if not args.keep:
            await admin.execute(f'DROP DATABASE IF EXISTS "{database}" WITH (FORCE)')
        await admin.close()
    all_ms = timings["copy"] + timings["miss"]
    print(f"view-hash index: {args.photos:,} photos x {len(fingerprint.views())} views ({size}), loaded in {load_s:.0f} s")
    print(f"lookups of {query_count} query hashes, probe radius {evidence.PROBE_RADIUS}:")
    for label, samples in (*timings.items(), ("all", all_ms)):
        print(f"  {label:<6} p50 {statistics.median(samples):7.2f} ms  p99 {percentile(samples, 0.99):7.2f} ms")
    print(f"  planted copies found: {found}/{len(timings['copy'])}")


if __name__ == "__main__":
    asyncio.run(main())
