"""The view-hash index lookup of reuse detection (`repository.find_reuse_candidates`) with many
stored photos, measured on hashes of generated pictures rather than random bits (real pictures'
hashes cluster: skies on top, ground below).

A fresh database is built by intake's own migrations. It holds `--photos` photos, each with the
production views (`fingerprint.views()`): a few hundred full-size scenes whose copies are looked
up, and the rest small renders of other scenes (`natural_scene(small=True)`: the hashes only see
256 pixels), bulk-loaded with COPY. Then it looks up re-posted copies of the full-size scenes,
edited in each way of `benchmarks.intake.evidence`, and fresh unrelated scenes, and reports per
lookup the time (p50/p99), the index rows the probes read, the candidates returned, the table
and index size, and per edit class the share of copies whose original is among the candidates.

    uv run python -m benchmarks.intake.evidence_index [--photos 100000] [--per-class 10] [--fresh 100]
        [--cache /tmp/view-hashes-100000.npy] [--workers 2] [--keep]
"""

from __future__ import annotations

import argparse
import asyncio
import io
import multiprocessing
import random
import statistics
import time
import uuid
from collections import defaultdict
from pathlib import Path

import asyncpg
import numpy as np
from PIL import Image

from benchmarks.intake import evidence as corpus
from benchmarks.support import percentile, pg_kwargs
from sigap_intake.photos import evidence, fingerprint, repository, reuse
from sigap_shared.db import apply_migrations, package_migrations, shared_migrations

_FILLER_SEED = 30_000_000
_PLANTED_SEED = 40_000_000
_FRESH_SEED = 50_000_000

# The rows the band probes of `repository._VIEW_CANDIDATES` read, before the distance filter.
_ROWS_READ = """
SELECT count(*) FROM (
    SELECT 1 FROM photo_view_hashes WHERE band0 = ANY($1::int[])
    UNION ALL SELECT 1 FROM photo_view_hashes WHERE band1 = ANY($2::int[])
    UNION ALL SELECT 1 FROM photo_view_hashes WHERE band2 = ANY($3::int[])
    UNION ALL SELECT 1 FROM photo_view_hashes WHERE band3 = ANY($4::int[])
) probed
"""


def _filler_hashes(seed: int) -> list[int]:
    picture = corpus.natural_scene(seed, small=True)
    return list(fingerprint.view_hashes(fingerprint._shrunk(fingerprint.grey(picture), 8 * fingerprint._HASH_SIDE)))


def filler_view_hashes(count: int, *, workers: int, cache: Path | None) -> np.ndarray:
    """(count, views) unsigned 64-bit view hashes of distinct generated scenes, cached on request."""
    if cache is not None and cache.exists():
        stored = np.load(cache)
        if len(stored) >= count:
            return stored[:count]
    started = time.perf_counter()
    with multiprocessing.get_context("fork").Pool(workers) as pool:
        rows = []
        for number, hashes in enumerate(pool.imap(_filler_hashes, range(_FILLER_SEED, _FILLER_SEED + count), chunksize=64)):
            rows.append(hashes)
            if (number + 1) % 10_000 == 0:
                print(f"  {number + 1} filler scenes hashed, {time.perf_counter() - started:.0f} s", flush=True)
    table = np.array(rows, dtype=np.uint64)
    if cache is not None:
        np.save(cache, table)
    return table


async def _load(conn: asyncpg.Connection, table: np.ndarray, planted: list[tuple[uuid.UUID, tuple[int, ...]]]) -> float:
    index_defs = [
        row["indexdef"]
        for row in await conn.fetch("SELECT indexdef FROM pg_indexes WHERE tablename = 'photo_view_hashes'"
                                    " AND indexname <> 'photo_view_hashes_pkey'")
    ]
    started = time.perf_counter()
    for definition in index_defs:
        await conn.execute("DROP INDEX " + definition.split(" INDEX ", 1)[1].split(" ON ", 1)[0])
    photos = [(uuid.uuid4(), tuple(int(h) for h in hashes)) for hashes in table] + planted
    chunk = 10_000
    for start in range(0, len(photos), chunk):
        await conn.copy_records_to_table(
            "photo_view_hashes",
            records=[
                (photo_id, view, reuse.to_signed(h), *reuse.bands(h))
                for photo_id, hashes in photos[start : start + chunk]
                for view, h in enumerate(hashes)
            ],
            columns=["photo_id", "view", "phash", "band0", "band1", "band2", "band3"],
        )
    for definition in index_defs:
        await conn.execute(definition)
    await conn.execute("VACUUM ANALYZE photo_view_hashes")
    return time.perf_counter() - started


def _planted(count: int) -> list[tuple[uuid.UUID, bytes, tuple[int, ...]]]:
    """Full-size scenes as stored photos: (id, JPEG, view hashes)."""
    out = []
    for number in range(count):
        data = corpus._jpeg(corpus.natural_scene(_PLANTED_SEED + number))
        out.append((uuid.uuid4(), data, fingerprint.fingerprint(Image.open(io.BytesIO(data))).view_hashes))
    return out


async def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--photos", type=int, default=100_000)
    parser.add_argument("--per-class", type=int, default=10, help="looked-up copies per edit class")
    parser.add_argument("--fresh", type=int, default=100, help="looked-up unrelated fresh scenes")
    parser.add_argument("--seed", type=int, default=14)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--cache", type=Path, help="keep the filler hashes in this .npy file between runs")
    parser.add_argument("--keep", action="store_true")
    args = parser.parse_args()
    rnd = random.Random(args.seed)
    started = time.perf_counter()
    planted_count = max(1, min(args.photos // 4, 300))
    print(f"hashing {planted_count} full-size scenes and {args.photos - planted_count} small ones ...", flush=True)
    planted = _planted(planted_count)
    table = filler_view_hashes(args.photos - planted_count, workers=args.workers, cache=args.cache)
    print(f"  hashed in {time.perf_counter() - started:.0f} s", flush=True)

    lookups: list[tuple[str, object, tuple[int, ...]]] = []
    for name, edit in corpus.CLASSES.items():
        for _ in range(args.per_class):
            photo_id, data, _ = planted[rnd.randrange(planted_count)]
            copy = corpus._reposted(Image.open(io.BytesIO(data)), edit, rnd)
            lookups.append((name, photo_id, fingerprint.fingerprint(copy).query_hashes))
    for number in range(args.fresh):
        fresh = Image.open(io.BytesIO(corpus._jpeg(corpus.natural_scene(_FRESH_SEED + number))))
        lookups.append(("fresh unrelated scene", None, fingerprint.fingerprint(fresh).query_hashes))
    rnd.shuffle(lookups)

    database = f"sigap_bench_views_{uuid.uuid4().hex[:8]}"
    admin = await asyncpg.connect(**pg_kwargs("postgres"))
    await admin.execute(f'CREATE DATABASE "{database}"')
    try:
        pool = await asyncpg.create_pool(**pg_kwargs(database), min_size=1, max_size=2)
        await apply_migrations(pool, [shared_migrations(), package_migrations("sigap_intake")])
        async with pool.acquire() as conn:
            load_s = await _load(conn, table, [(photo_id, hashes) for photo_id, _, hashes in planted])
            sizes = await conn.fetchrow(
                "SELECT pg_size_pretty(pg_table_size('photo_view_hashes')) AS heap,"
                " pg_size_pretty(pg_indexes_size('photo_view_hashes')) AS indexes,"
                " (SELECT count(*) FROM photo_view_hashes) AS rows"
            )
            timings: list[float] = []
            rows_read: list[int] = []
            returned: dict[bool, list[int]] = defaultdict(list)
            found: dict[str, list[bool]] = defaultdict(list)
            for name, photo_id, queries in lookups:
                t0 = time.perf_counter()
                candidates = await repository.find_reuse_candidates(conn=conn, query_hashes=queries)
                timings.append((time.perf_counter() - t0) * 1000)
                rows_read.append(await conn.fetchval(_ROWS_READ, *evidence.probes(queries)))
                returned[photo_id is None].append(len(candidates))
                if photo_id is not None:
                    found[name].append(any(c.photo == photo_id for c in candidates))
        await pool.close()
    finally:
        if not args.keep:
            await admin.execute(f'DROP DATABASE IF EXISTS "{database}" WITH (FORCE)')
        await admin.close()

    print()
    print(f"view-hash index: {args.photos:,} photos x {len(fingerprint.views())} views = {sizes['rows']:,} rows"
          f" (table {sizes['heap']} + indexes {sizes['indexes']}), loaded and indexed in {load_s:.0f} s")
    print(f"{len(lookups)} lookups of {len(lookups[0][2])} query hashes, band probe radius {evidence.PROBE_RADIUS}:")
    print(f"  time       p50 {statistics.median(timings):8.1f} ms   p99 {percentile(timings, 0.99):8.1f} ms")
    print(f"  rows read  p50 {statistics.median(rows_read):8.0f}      p99 {percentile(rows_read, 0.99):8.0f}")
    print(f"  candidates returned (at most {evidence.MAX_CANDIDATES}): copies p50 {statistics.median(returned[False]):.0f},"
          f" fresh unrelated scenes p50 {statistics.median(returned[True]):.0f}"
          f" ({sum(1 for n in returned[True] if n) / max(1, len(returned[True])):.0%} of them with any)")
    print()
    print(f"{'edit class':<52} original among candidates")
    for name in corpus.CLASSES:
        hits = found[name]
        print(f"{name:<52} {sum(hits) / len(hits):>6.1%}  ({sum(hits)}/{len(hits)})")
    worst = min(sum(hits) / len(hits) for hits in found.values())
    print(f"lowest class candidate recall: {worst:.1%} (target >= 99%)")
    print(f"total {time.perf_counter() - started:.0f} s")


if __name__ == "__main__":
    asyncio.run(main())
