"""The SIFT key index as production has it: migration 0014's `photo_reuse_keys` exactly (uuid
photo ids, primary key (key, photo_id), the photo_id index, the foreign key to `photos`), filled
with `--photos` x `--keys-per-photo` synthetic keys (the shapes of `key_index_scale`: 42-bit
hashes, 5 % "screenshots" drawing theirs from a shared pool), and looked up with the function the
upload path calls, `photos.repository.find_key_candidates` (dedupe, HAVING >= KEY_MIN_HITS, top
KEY_TOP). `photos` holds only ids here (the table the foreign key needs).

Loading: the migration's SQL is run as shipped, its indexes and foreign key are read back
(pg_get_indexdef / pg_get_constraintdef), dropped, the rows copied in binary, and the same
definitions created again (the foreign key validated over the whole table), then VACUUM ANALYZE.
Per (probes, rows) cell it times `--lookups` fresh probe sets (first touch) and the same again
(hot), wall (what the client waited) and the backend's CPU (/proc/<pid>/schedstat, as
`key_index_scale`), and EXPLAINs a few (index-only scan? heap fetches?). It also times what an
upload and an erasure do to the table at that size: one photo's keys inserted, and deleted by
photo_id (both rolled back). The database is dropped at the end.

    nice uv run python -m benchmarks.intake.key_table_scale [--photos 1000000] [--keys-per-photo 60]
        [--probes 1536] [--hits 2000,5500] [--lookups 200] [--repeat 2]

Figures: docs/reuse-detection.md ("The key table at scale")."""

from __future__ import annotations

import argparse
import asyncio
import json
import statistics
import sys
import time
import uuid
from pathlib import Path

import asyncpg
import numpy as np

from benchmarks.intake.key_index_scale import (
    COPY_HEADER,
    COPY_TRAILER,
    Layout,
    ProbeSet,
    _schedstat,
    copy_chunk,
    photo_uuids,
    plan_facts,
    probe_set,
)
from benchmarks.support import percentile, scratch_database
from sigap_intake.photos import evidence
from sigap_intake.photos import repository as photo_repository

MIGRATION = (
    Path(__file__).resolve().parents[2]
    / "services/intake/src/sigap_intake/migrations/0014_photo_reuse_keys.sql"
)


async def _photo_ids(conn: asyncpg.Connection, layout: Layout, chunk: int) -> None:
    async def source():
        yield COPY_HEADER
        for start in range(0, layout.photos, chunk):
            ids = photo_uuids(np.arange(start, min(start + chunk, layout.photos)), layout)
            rows = np.empty(len(ids), dtype=[("n", ">i2"), ("len", ">i4"), ("id", "V16")])
            rows["n"], rows["len"], rows["id"] = 1, 16, ids
            yield rows.tobytes()
        yield COPY_TRAILER

    await conn.copy_to_table("photos", source=source(), format="binary")


async def _load(conn: asyncpg.Connection, layout: Layout, *, chunk: int) -> dict[str, float]:
    timings: dict[str, float] = {}
    started = time.perf_counter()
    await conn.execute("CREATE TABLE photos (id uuid PRIMARY KEY)")
    await _photo_ids(conn, layout, chunk)
    timings["photos_s"] = time.perf_counter() - started
    await conn.execute(MIGRATION.read_text())
    indexes = [row["def"] for row in await conn.fetch(
        "SELECT pg_get_indexdef(indexrelid) AS def FROM pg_index WHERE indrelid = 'photo_reuse_keys'::regclass"
        " AND NOT indisprimary")]
    constraints = await conn.fetch(
        "SELECT conname, pg_get_constraintdef(oid) AS def, contype::text AS contype FROM pg_constraint"
        " WHERE conrelid = 'photo_reuse_keys'::regclass ORDER BY contype DESC")  # p before f
    for index in indexes:
        await conn.execute(f"DROP INDEX {index.split()[2]}")
    for row in constraints:
        await conn.execute(f'ALTER TABLE photo_reuse_keys DROP CONSTRAINT "{row["conname"]}"')
    mark = time.perf_counter()

    async def source():
        yield COPY_HEADER
        for start in range(0, layout.photos, chunk):
            yield copy_chunk(layout, np.arange(start, min(start + chunk, layout.photos), dtype=np.int64),
                             photo_id="uuid")
            done = min(start + chunk, layout.photos)
            if done % max(chunk, layout.photos // 5) < chunk:
                print(f"  {done} photos' keys copied, {time.perf_counter() - mark:.0f} s", flush=True)
        yield COPY_TRAILER

    await conn.copy_to_table("photo_reuse_keys", source=source(), format="binary")
    timings["copy_s"] = time.perf_counter() - mark
    await conn.execute("SET maintenance_work_mem = '1GB'")
    for row in constraints:
        mark = time.perf_counter()
        await conn.execute(f'ALTER TABLE photo_reuse_keys ADD CONSTRAINT "{row["conname"]}" {row["def"]}')
        timings[f"{'primary_key' if row['contype'] == 'p' else 'foreign_key'}_s"] = time.perf_counter() - mark
    for index in indexes:
        mark = time.perf_counter()
        await conn.execute(index)
        timings["photo_index_s"] = time.perf_counter() - mark
    mark = time.perf_counter()
    await conn.execute("VACUUM (ANALYZE) photo_reuse_keys")
    await conn.execute("VACUUM (ANALYZE) photos")
    timings["vacuum_s"] = time.perf_counter() - mark
    timings["total_s"] = time.perf_counter() - started
    return timings


def _number_of(layout: Layout) -> dict[uuid.UUID, int]:
    numbers = np.arange(layout.photos, dtype=np.int64)
    return {uuid.UUID(bytes=bytes(b)): int(n) for n, b in zip(numbers, photo_uuids(numbers, layout))}


async def _time(conn: asyncpg.Connection, sets: list[ProbeSet], backend: int, numbers: dict[uuid.UUID, int]):
    wall, cpu, found, returned = [], [], 0, []
    for probe in sets:
        before = _schedstat(backend)[0]
        started = time.perf_counter()
        ranked = await photo_repository.find_key_candidates(conn=conn, probes=probe.keys)
        wall.append((time.perf_counter() - started) * 1000)
        cpu.append((_schedstat(backend)[0] - before) / 1e6)
        found += any(numbers.get(photo) == probe.original for photo, _ in ranked)
        returned.append(len(ranked))
    return wall, cpu, found / len(sets), returned


async def _explain(conn: asyncpg.Connection, sets: list[ProbeSet]) -> list[dict[str, float]]:
    query = photo_repository._KEY_CANDIDATES
    facts = []
    for probe in sets:
        raw = await conn.fetchval("EXPLAIN (ANALYZE, BUFFERS, FORMAT JSON) " + query,
                                  sorted(set(probe.keys)), evidence.KEY_MIN_HITS, evidence.KEY_TOP)
        facts.append(plan_facts(json.loads(raw) if isinstance(raw, str) else raw))
    return facts


def _line(label: str, samples: list[float]) -> str:
    return (f"{label:<24} p50 {statistics.median(samples):7.2f}  p95 {percentile(samples, 0.95):7.2f}"
            f"  p99 {percentile(samples, 0.99):7.2f}  max {max(samples):7.2f} ms")


async def _writes(conn: asyncpg.Connection, layout: Layout, rounds: int) -> None:
    """One new photo's keys inserted (as `insert_photo` does), and one stored photo's keys deleted
    by photo_id (as the erasure does), each in a transaction rolled back."""
    rng = np.random.default_rng(layout.seed + 7)
    inserted, deleted = [], []
    for _ in range(rounds):
        keys = [int(k) for k in rng.integers(1 << 42, size=layout.keys_per_photo)]
        victim = uuid.UUID(bytes=bytes(photo_uuids(np.array([int(rng.integers(layout.photos))]), layout)[0]))
        transaction = conn.transaction()
        await transaction.start()
        try:
            new = uuid.uuid4()
            await conn.execute("INSERT INTO photos (id) VALUES ($1)", new)
            started = time.perf_counter()
            await photo_repository.insert_photo_keys(conn=conn, photo_id=new, keys=keys)
            inserted.append((time.perf_counter() - started) * 1000)
            started = time.perf_counter()
            count = await conn.execute("DELETE FROM photo_reuse_keys WHERE photo_id = $1", victim)
            deleted.append((time.perf_counter() - started) * 1000)
            assert count == f"DELETE {layout.keys_per_photo}", count
        finally:
            await transaction.rollback()
    print("  " + _line(f"insert {layout.keys_per_photo} keys", inserted))
    print("  " + _line("delete by photo_id", deleted))


async def _study(conn: asyncpg.Connection, layout: Layout, args: argparse.Namespace) -> None:
    lengths = layout.pool_lengths()
    numbers = _number_of(layout)
    rng = np.random.default_rng(layout.seed + 1)
    backend = await conn.fetchval("SELECT pg_backend_pid()")
    for probes in args.probes:
        for hits in args.hits:
            print(f"\nprobes {probes}, target rows {hits}:", flush=True)
            for repeat in range(args.repeat):
                sets = [probe_set(layout, rng, lengths, probes=probes, hits=hits, long_share=args.long_share)
                        for _ in range(args.lookups)]
                cold = await _time(conn, sets, backend, numbers)
                await _time(conn, sets, backend, numbers)
                hot = await _time(conn, sets, backend, numbers)
                planned = [s.rows for s in sets]
                print(f" run {repeat + 1}: planned rows p50 {statistics.median(planned):.0f}"
                      f" p99 {percentile(planned, 0.99):.0f}; original returned: {cold[2]:.1%};"
                      f" photos returned p50 {statistics.median(cold[3]):.0f}")
                for label, (wall, cpu, _, _) in (("first touch", cold), ("hot (third pass)", hot)):
                    print("  " + _line(label + " wall", wall))
                    print("  " + _line("  backend on CPU", cpu))
                sys.stdout.flush()
            fresh = [probe_set(layout, rng, lengths, probes=probes, hits=hits, long_share=args.long_share)
                     for _ in range(args.explain)]
            for label in ("first touch", "again"):
                facts = await _explain(conn, fresh)
                print(f"  EXPLAIN {label:<12} rows {statistics.median(f['rows'] for f in facts):6.0f}"
                      f"  hit {statistics.median(f['hit'] for f in facts):6.0f}"
                      f" read {statistics.median(f['read'] for f in facts):5.0f}"
                      f"  heap fetches {statistics.median(f['heap_fetches'] for f in facts):3.0f}"
                      f"  exec {statistics.median(f['ms'] for f in facts):6.2f} ms  ({facts[0]['scan']})", flush=True)


async def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--photos", type=int, default=1_000_000)
    parser.add_argument("--keys-per-photo", type=int, default=60)
    parser.add_argument("--probes", type=lambda s: [int(v) for v in s.split(",")], default=[1536])
    parser.add_argument("--hits", type=lambda s: [int(v) for v in s.split(",")], default=[2000, 5500])
    parser.add_argument("--long-share", type=float, default=0.5, help="share of the rows read from pool keys")
    parser.add_argument("--lookups", type=int, default=200)
    parser.add_argument("--repeat", type=int, default=2)
    parser.add_argument("--explain", type=int, default=5)
    parser.add_argument("--writes", type=int, default=100, help="insert/delete rounds timed")
    parser.add_argument("--chunk", type=int, default=20_000)
    parser.add_argument("--seed", type=int, default=14)
    args = parser.parse_args()
    layout = Layout(args.photos, args.keys_per_photo, seed=args.seed)
    print(f"{args.photos} photos x {args.keys_per_photo} keys = {args.photos * args.keys_per_photo} rows"
          f" (migration 0014's table); KEY_TOP {evidence.KEY_TOP}, KEY_MIN_HITS {evidence.KEY_MIN_HITS}")
    async with scratch_database("sigap_bench_keytable_", show=("shared_buffers", "effective_cache_size", "work_mem", "jit")) as conn:
        timings = await _load(conn, layout, chunk=args.chunk)
        print("load: " + ", ".join(f"{k} {v:.1f}" for k, v in timings.items()))
        sizes = await conn.fetchrow(
            "SELECT pg_relation_size('photo_reuse_keys') AS heap, pg_relation_size('photo_reuse_keys_pkey') AS pkey,"
            " pg_relation_size('photo_reuse_keys_photo_idx') AS photo_idx")
        rows = args.photos * args.keys_per_photo
        print(f"size: heap {sizes['heap'] / 2**20:.0f} MiB, primary key {sizes['pkey'] / 2**20:.0f} MiB,"
              f" photo_id index {sizes['photo_idx'] / 2**20:.0f} MiB;"
              f" {(sizes['heap'] + sizes['pkey'] + sizes['photo_idx']) / rows:.1f} bytes/row"
              f" ({sizes['photo_idx'] / rows:.1f} of them the photo_id index)", flush=True)
        await _writes(conn, layout, args.writes)
        await _study(conn, layout, args)


if __name__ == "__main__":
    asyncio.run(main())
