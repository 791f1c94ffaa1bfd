"""Department queue benchmark: bulk-load complaints with COPY into a fresh database (the
status service's real schema and indexes), then time the queue queries staff actually run.

    uv run python -m benchmarks.status.queue --rows 1000000

Needs PostgreSQL running (`deploy/infra.sh up`). Creates a database `sigap_bench_status_*`,
drops it at the end (keep it with --keep). Queries go through the same `build_query` the API
uses; each is timed from send to the last row received on one connection, and the report
prints p50/p99 per query kind. Target: p99 <= 50 ms at one million complaints."""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import random
import time
import uuid
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import replace
from datetime import UTC, datetime, timedelta

import asyncpg

from sigap_shared.db import apply_migrations, package_migrations, shared_migrations
from sigap_status.queue.queries import QueueFilter, build_query, page_of
from sigap_status.sla.rules import SlaPolicy
from sigap_status.queue import queries as queue_queries
from benchmarks.support import print_latencies
from tests.support.infra import random_name

# Roughly Depok's shape: a few departments take most complaints.
DEPARTMENTS = {
    "DISHUB": 18, "DPUPR": 22, "DLHK": 20, "DISDUKCAPIL": 8, "DINKES": 5, "DISPERKIM": 7, "SATPOLPP": 6,
    "DINSOS": 3, "DISDIK": 3, "DISKOMINFO": 2, "BPBD": 2, "DAMKAR": 1, "DKUM": 1, "DPMPTSP": 1, "TRIAGE": 1,
}
CATEGORIES = [
    "jalan_rusak", "lampu_jalan", "sampah", "drainase", "banjir", "pohon_tumbang", "pkl", "parkir_liar",
    "ktp", "kk", "akta", "bansos", "sekolah", "puskesmas", "kebakaran", "izin_usaha", "air_bersih",
    "taman", "trotoar", "rambu", "angkot", "reklame", "kebisingan", "bangunan_liar", "lainnya",
]
KELURAHAN = [f"KEL{i:02d}" for i in range(63)]
WORDS = (
    "jalan berlubang lampu mati sampah menumpuk got mampet banjir pohon tumbang pedagang trotoar parkir liar "
    "angkot ngetem bau asap bising rusak parah sudah lama belum diperbaiki tolong segera depan sekolah pasar "
    "masjid gang rt rw perumahan margonda juanda sawangan cinere beji pancoran mas cimanggis tapos bojongsari "
    "limo cipayung sukmajaya cilodong kemiri muka tanah baru kukusan pondok cina depok jaya air mati ktp hilang"
).split()
STATUS_MIX = [("selesai", 62), ("ditolak", 6), ("diterima", 9), ("terverifikasi", 6), ("dalam_proses", 15), ("dibuka_kembali", 2)]
COLUMNS = (
    "id", "tracking_code", "kind", "category", "department", "status", "version", "submitted_at", "updated_at",
    "title", "description", "kelurahan", "privacy", "supporting_departments", "assigned_officer", "received_at",
    "sla_stage", "sla_due_at",
)


def submitted_and_status(rng: random.Random, *, now: datetime) -> tuple[datetime, str]:
    """When a complaint of the last three years came in (recent ones more likely) and a status
    that fits its age: recent complaints are more often still open; old ones are nearly all closed."""
    age_s = rng.random() ** 2 * timedelta(days=3 * 365).total_seconds()
    status = rng.choices([s for s, _ in STATUS_MIX], [w for _, w in STATUS_MIX])[0]
    if age_s > 60 * 86400 and status not in ("selesai", "ditolak") and rng.random() < 0.95:
        status = "selesai"
    return now - timedelta(seconds=age_s), status


def _rows(count: int, *, now: datetime, seed: int):
    rng = random.Random(seed)
    departments = list(DEPARTMENTS)
    weights = list(DEPARTMENTS.values())
    policy = SlaPolicy()
    for _ in range(count):
        submitted, status = submitted_and_status(rng, now=now)
        department = rng.choices(departments, weights)[0]
        officer = f"petugas-{department.lower()}-{rng.randrange(20)}" if status in ("dalam_proses", "selesai", "dibuka_kembali") else None
        stage, due = policy.deadline(status=status, category=None, since=submitted + timedelta(hours=rng.randrange(1, 72)))
        supporting = [rng.choice(departments)] if rng.random() < 0.03 else []
        text = " ".join(rng.choices(WORDS, k=rng.randrange(8, 30)))
        yield (
            uuid.uuid4(), f"SGP-{rng.randrange(36**6):06X}"[:11], "pengaduan", rng.choice(CATEGORIES), department, status,
            rng.randrange(1, 6), submitted, submitted, " ".join(rng.choices(WORDS, k=4)), text, rng.choice(KELURAHAN),
            "publik", supporting, officer, submitted, stage, due,
        )


async def load(conn: asyncpg.Connection, rows: int, *, now: datetime) -> float:
    """COPY `rows` complaints; indexes are dropped for the load and rebuilt from the
    migration's own definitions, which is how a real bulk import would go."""
    indexes = await conn.fetch(
        "SELECT indexname, indexdef FROM pg_indexes WHERE tablename = 'complaints' AND indexname <> 'complaints_pkey'"
    )
    for index in indexes:
        await conn.execute(f'DROP INDEX "{index["indexname"]}"')
    started = time.perf_counter()
    batch = 100_000
    generator = _rows(rows, now=now, seed=42)
    loaded = 0
    while loaded < rows:
        chunk = [next(generator) for _ in range(min(batch, rows - loaded))]
        await conn.copy_records_to_table("complaints", records=chunk, columns=COLUMNS)
        loaded += len(chunk)
        print(f"  loaded {loaded:>9,} rows ({time.perf_counter() - started:6.1f} s)", flush=True)
    await conn.execute("SET maintenance_work_mem = '256MB'")
    for index in indexes:
        index_started = time.perf_counter()
        await conn.execute(index["indexdef"])
        print(f"  index {index['indexname']:<40} {time.perf_counter() - index_started:6.1f} s", flush=True)
    await conn.execute("VACUUM ANALYZE complaints")
    return time.perf_counter() - started


def _scenarios(rng: random.Random, *, now: datetime) -> dict[str, Callable[[], QueueFilter]]:
    big = ["DPUPR", "DLHK", "DISHUB"]
    any_department = list(DEPARTMENTS)
    open_statuses = ("diterima", "terverifikasi", "dalam_proses", "dibuka_kembali")
    return {
        "dept, all, oldest": lambda: QueueFilter(department=rng.choice(any_department)),
        "dept, open (4 statuses), oldest": lambda: QueueFilter(department=rng.choice(big), statuses=open_statuses),
        "dept, diterima, oldest": lambda: QueueFilter(department=rng.choice(big), statuses=("diterima",)),
        "dept, dalam_proses, newest": lambda: QueueFilter(department=rng.choice(big), statuses=("dalam_proses",), sort="newest"),
        "dept, category, newest": lambda: QueueFilter(department=rng.choice(big), category=rng.choice(CATEGORIES), sort="newest"),
        "dept, kelurahan, open, oldest": lambda: QueueFilter(
            department=rng.choice(big), kelurahan=rng.choice(KELURAHAN), statuses=open_statuses
        ),
        "dept, SLA breached, by deadline": lambda: QueueFilter(department=rng.choice(big), sla_state="breached", sort="sla_deadline"),
        "dept, by SLA deadline": lambda: QueueFilter(department=rng.choice(any_department), sort="sla_deadline"),
        "officer's tasks, newest": lambda: QueueFilter(
            department=(d := rng.choice(big)), assigned_officer=f"petugas-{d.lower()}-{rng.randrange(20)}", sort="newest"
        ),
        "dept, search common word": lambda: QueueFilter(department=rng.choice(big), text=rng.choice(["jalan", "sampah", "lampu"]), sort="newest"),
        "dept, search two words": lambda: QueueFilter(department=rng.choice(big), text="lampu mati margonda", sort="newest"),
        "city-wide, newest": lambda: QueueFilter(sort="newest"),
        "city-wide, diterima, oldest": lambda: QueueFilter(statuses=("diterima",)),
    }


async def _timed(conn: asyncpg.Connection, queue_filter: QueueFilter, *, now: datetime) -> tuple[float, list]:
    started = time.perf_counter()
    rows = await queue_queries.list_queue(conn=conn, queue_filter=queue_filter, now=now)
    return (time.perf_counter() - started) * 1000, rows


async def measure(conn: asyncpg.Connection, *, repeats: int, now: datetime) -> list[tuple[str, list[float]]]:
    rng = random.Random(7)
    results: list[tuple[str, list[float]]] = []
    for name, make in _scenarios(rng, now=now).items():
        samples: list[float] = []
        for _ in range(3):  # warm the cache and the statement cache
            await _timed(conn, make(), now=now)
        for _ in range(repeats):
            elapsed, _rows_ = await _timed(conn, make(), now=now)
            samples.append(elapsed)
        results.append((name, samples))
    # Walking deep: 20 consecutive pages of a big department's open queue via the cursor.
    samples = []
    for _ in range(max(1, repeats // 20)):
        queue_filter = QueueFilter(department=rng.choice(["DPUPR", "DLHK"]), statuses=("diterima", "dalam_proses"))
        for _page in range(20):
            elapsed, rows = await _timed(conn, queue_filter, now=now)
            samples.append(elapsed)
            page, cursor = page_of(queue_filter, list(rows))
            if cursor is None:
                break
            last = page[-1]
            queue_filter = replace(queue_filter, after=(last["submitted_at"], last["id"]))
    results.append(("dept, open, pages 1-20 via cursor", samples))
    return results


@contextlib.asynccontextmanager
async def status_database(args: argparse.Namespace, prefix: str) -> AsyncIterator[asyncpg.Pool]:
    """A fresh, migrated status database for one benchmark run (dropped afterwards unless
    --keep), with a small pool."""
    admin = await asyncpg.connect(host=args.pg_host, port=args.pg_port, user="sigap", password="sigap", database="postgres")
    name = random_name(prefix)
    await admin.execute(f'CREATE DATABASE "{name}"')
    print(f"database {name}")
    try:
        pool = await asyncpg.create_pool(
            host=args.pg_host, port=args.pg_port, user="sigap", password="sigap", database=name, min_size=1, max_size=2
        )
        await apply_migrations(pool, [shared_migrations(), package_migrations("sigap_status")])
        try:
            yield pool
        finally:
            await pool.close()
    finally:
        if not args.keep:
            await admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
            print(f"dropped {name}")
        await admin.close()


def database_arguments(parser: argparse.ArgumentParser, *, repeats: int) -> argparse.ArgumentParser:
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--repeats", type=int, default=repeats)
    parser.add_argument("--pg-host", default="127.0.0.1")
    parser.add_argument("--pg-port", type=int, default=55432)
    parser.add_argument("--keep", action="store_true", help="keep the database afterwards")
    return parser


@contextlib.asynccontextmanager
async def loaded_complaints(
    args: argparse.Namespace, prefix: str, *, load: Callable[..., Awaitable[float]], now: datetime
) -> AsyncIterator[tuple[asyncpg.Connection, float]]:
    """A fresh status database with `args.rows` complaints COPYed in by `load`: a connection and
    the load's seconds."""
    async with status_database(args, prefix) as pool, pool.acquire() as conn:
        print(f"loading {args.rows:,} complaints with COPY ...")
        yield conn, await load(conn, args.rows, now=now)


async def print_table_size(conn: asyncpg.Connection, load_s: float) -> None:
    size = await conn.fetchval("SELECT pg_size_pretty(pg_total_relation_size('complaints'))")
    print(f"loaded and indexed in {load_s:.1f} s; table with indexes: {size}")


async def main_async(args: argparse.Namespace) -> None:
    now = datetime.now(UTC)
    async with loaded_complaints(args, "sigap_bench_status", load=load, now=now) as (conn, load_s):
        await print_table_size(conn, load_s)
        results = await measure(conn, repeats=args.repeats, now=now)
        if args.explain:
            for name_, make in _scenarios(random.Random(1), now=now).items():
                sql, params = build_query(make(), now=now)
                plan = await conn.fetch("EXPLAIN (ANALYZE, BUFFERS) " + sql, *params)
                print(f"\n-- {name_}\n" + "\n".join(row[0] for row in plan))
    title = f"Department queue at {args.rows:,} complaints (page of 50, {args.repeats} runs each)"
    worst = max(print_latencies(title, results, width=40).values())
    print(f"\nworst p99: {worst:.2f} ms (target <= 50 ms): {'OK' if worst <= 50 else 'OVER TARGET'}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    database_arguments(parser, repeats=200)
    parser.add_argument("--explain", action="store_true", help="print EXPLAIN ANALYZE of each query kind")
    asyncio.run(main_async(parser.parse_args()))


if __name__ == "__main__":
    main()
