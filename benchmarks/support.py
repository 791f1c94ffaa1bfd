"""What the benchmarks share: where the local PostgreSQL is, the percentile they report, and the
table of query latencies they print, and a process pool that reports its progress."""

from __future__ import annotations

import contextlib
import multiprocessing
import os
import statistics
import time
import uuid
from collections.abc import AsyncIterator, Sequence

import asyncpg


def pg_kwargs(database: str) -> dict[str, object]:
    """asyncpg's connection arguments for `database` on the PostgreSQL `make up` runs (SIGAP_PG_* override)."""
    return {
        "host": os.environ.get("SIGAP_PG_HOST", "127.0.0.1"),
        "port": int(os.environ.get("SIGAP_PG_PORT", "55432")),
        "user": os.environ.get("SIGAP_PG_USER", "sigap"),
        "password": os.environ.get("SIGAP_PG_PASSWORD", "sigap"),
        "database": database,
    }


@contextlib.asynccontextmanager
async def scratch_database(prefix: str, *, show: Sequence[str] = (), keep: bool = False) -> AsyncIterator[asyncpg.Connection]:
    """A connection to a fresh database named `prefix` + a random suffix on the local PostgreSQL,
    after printing the server's version and the settings named in `show`; dropped afterwards
    unless `keep`."""
    database = f"{prefix}{uuid.uuid4().hex[:8]}"
    admin = await asyncpg.connect(**pg_kwargs("postgres"))
    await admin.execute(f'CREATE DATABASE "{database}"')
    try:
        conn = await asyncpg.connect(**pg_kwargs(database))
        try:
            print(await conn.fetchval("SELECT version()"))
            for name in show:
                print(f"  {name} = {await conn.fetchval(f'SHOW {name}')}")
            yield conn
        finally:
            await conn.close()
    finally:
        if keep:
            print(f"  database kept: {database}")
        else:
            await admin.execute(f'DROP DATABASE IF EXISTS "{database}" WITH (FORCE)')
        await admin.close()


def percentile(samples: list[float], q: float) -> float:
    """The sample at fraction `q` (0..1) of the sorted samples, by nearest rank."""
    ordered = sorted(samples)
    return ordered[min(len(ordered) - 1, int(round(q * (len(ordered) - 1))))]


def print_latencies(title: str, results: list[tuple[str, list[float]]], *, width: int) -> dict[str, float]:
    """Prints p50, p99 and max (ms) of each query's samples under `title`; returns each query's p99."""
    print(f"\n{title}")
    print(f"{'query':<{width}} {'p50 ms':>8} {'p99 ms':>8} {'max ms':>8}")
    p99s = {}
    for query, samples in results:
        p99s[query] = percentile(samples, 0.99)
        print(f"{query:<{width}} {statistics.median(samples):8.2f} {p99s[query]:8.2f} {max(samples):8.2f}")
    return p99s


def map_with_progress(function, jobs: list, *, workers: int, what: str, every: int = 200, chunksize: int = 4) -> list:
    """`function` over `jobs` in a pool of `workers` processes, in order, printing how many are
    done every `every` jobs (the image studies extract thousands of pictures)."""
    started = time.perf_counter()
    results = []
    with multiprocessing.Pool(workers) as pool:
        for done, result in enumerate(pool.imap(function, jobs, chunksize=chunksize), 1):
            results.append(result)
            if done % every == 0:
                print(f"  {done}/{len(jobs)} pictures {what}, {time.perf_counter() - started:.0f} s", flush=True)
    return results
