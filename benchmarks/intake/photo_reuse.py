"""Photo-reuse lookup with a million stored hashes: bulk-loads random 64-bit perceptual hashes
into a fresh database built by intake's own migrations (COPY), then times the production
lookup (`repository.find_similar_photos`) for planted near-duplicates and for misses, and
prints p50/p95/p99 and recall. Target: p99 below 20 ms.

    uv run python -m benchmarks.intake.photo_reuse [--rows 1000000] [--queries 1000] [--keep]
"""

from __future__ import annotations

import argparse
import asyncio
import random
import statistics
import time
import uuid

import asyncpg

from sigap_intake.photos import reuse
from sigap_intake.photos import repository
from sigap_shared.db import apply_migrations, package_migrations, shared_migrations
from benchmarks.support import pg_kwargs


def _flip(value: int, bits: int, rnd: random.Random) -> int:
    for bit in rnd.sample(range(64), bits):
        value ^= 1 << bit
    return value


def _pct(samples: list[float], q: float) -> float:
    ordered = sorted(samples)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))]


async def _load(conn: asyncpg.Connection, hashes: list[int]) -> float:
    index_defs = [
        row["indexdef"]
        for row in await conn.fetch(
            "SELECT indexname, indexdef FROM pg_indexes WHERE tablename = 'photo_hashes' AND indexname LIKE '%band%'"
        )
    ]
    started = time.perf_counter()
    for definition in index_defs:
        await conn.execute("DROP INDEX " + definition.split(" INDEX ", 1)[1].split(" ON ", 1)[0])
    chunk = 100_000
    for start in range(0, len(hashes), chunk):
        await conn.copy_records_to_table(
            "photo_hashes",
            records=[
                (uuid.uuid4(), reuse.to_signed(h), *reuse.bands(h))
                for h in hashes[start : start + chunk]
            ],
            columns=["photo_id", "phash", "band0", "band1", "band2", "band3"],
        )
    for definition in index_defs:
        await conn.execute(definition)
    await conn.execute("VACUUM ANALYZE photo_hashes")
    return time.perf_counter() - started


async def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--queries", type=int, default=1000)
    parser.add_argument("--max-distance", type=int, default=10)
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--keep", action="store_true", help="keep the database afterwards")
    args = parser.parse_args()
    rnd = random.Random(args.seed)

    database = f"sigap_bench_reuse_{uuid.uuid4().hex[:8]}"
    admin = await asyncpg.connect(**pg_kwargs("postgres"))
    await admin.execute(f'CREATE DATABASE "{database}"')
    try:
        pool = await asyncpg.create_pool(**pg_kwargs(database), min_size=1, max_size=2)
        await apply_migrations(pool, [shared_migrations(), package_migrations("sigap_intake")])
        hashes = [rnd.getrandbits(64) for _ in range(args.rows)]
        async with pool.acquire() as conn:
            load_s = await _load(conn, hashes)
            size = await conn.fetchval("SELECT pg_size_pretty(pg_total_relation_size('photo_hashes'))")

            planted = [rnd.choice(hashes) for _ in range(args.queries // 2)]
            near = [_flip(h, rnd.randint(0, args.max_distance), rnd) for h in planted]
            misses = [rnd.getrandbits(64) for _ in range(args.queries - len(near))]
            # Warm-up: the first queries pay for loading index pages into the cache.
            for h in misses[:20]:
                await repository.find_similar_photos(conn=conn, phash=h, max_distance=args.max_distance)

            timings: dict[str, list[float]] = {"near-duplicate": [], "miss": []}
            found = 0
            for label, queries in (("near-duplicate", near), ("miss", misses)):
                for index, h in enumerate(queries):
                    started = time.perf_counter()
                    similar = await repository.find_similar_photos(
                        conn=conn, phash=h, max_distance=args.max_distance
                    )
                    timings[label].append((time.perf_counter() - started) * 1000)
                    if label == "near-duplicate":
                        stored = planted[index]
                        found += any(reuse.hamming(h, stored) == match.distance for match in similar)
            phash = planted[0]
            probes = [reuse.band_neighbours(b, reuse.probe_radius(args.max_distance))
                      for b in reuse.bands(phash)]
            plan = await conn.fetch(
                "EXPLAIN (ANALYZE, BUFFERS) " + repository._SIMILAR,  # noqa: SLF001
                *probes, reuse.to_signed(phash), args.max_distance, 10,
            )
        await pool.close()
    finally:
        if not args.keep:
            await admin.execute(f'DROP DATABASE IF EXISTS "{database}" WITH (FORCE)')
        await admin.close()

    all_ms = timings["near-duplicate"] + timings["miss"]
    print("Photo-reuse lookup benchmark (multi-index hashing, 4 x 16-bit bands, btree per band)")
    print(f"  stored hashes          {args.rows:,}  ({size}, loaded + indexed in {load_s:.1f} s via COPY)")
    print(f"  max Hamming distance   {args.max_distance}  (probe radius {reuse.probe_radius(args.max_distance)}"
          f" bits per band, {len(probes[0])} values per band)")
    print(f"  queries                {len(all_ms)}  ({len(near)} planted near-duplicates, {len(misses)} misses)")
    for label, samples in (*timings.items(), ("all", all_ms)):
        print(
            f"  {label:<22} p50 {statistics.median(samples):6.2f} ms   p95 {_pct(samples, 0.95):6.2f} ms"
            f"   p99 {_pct(samples, 0.99):6.2f} ms   max {max(samples):6.2f} ms"
        )
    print(f"  recall of planted near-duplicates: {found}/{len(near)}")
    verdict = "MET" if _pct(all_ms, 0.99) < 20 else "MISSED"
    print(f"  target p99 < 20 ms: {verdict}")
    print("  plan of one lookup:")
    for row in plan:
        line = row[0]
        print("    " + (line[:140] + "..." if len(line) > 140 else line))
    if args.keep:
        print(f"  database kept: {database}")


if __name__ == "__main__":
    asyncio.run(main())
