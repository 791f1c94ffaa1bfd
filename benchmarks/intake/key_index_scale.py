"""What an exact-key index of reuse detection costs in PostgreSQL with many stored photos: the
table `photo_reuse_keys(key bigint, photo_id, PRIMARY KEY (key, photo_id))` filled with
`--photos` x `--keys-per-photo` synthetic keys, and the one candidate query a new photo would run:

    SELECT photo_id, count(*) FROM photo_reuse_keys WHERE key = ANY($1::bigint[])
    GROUP BY photo_id ORDER BY count(*) DESC LIMIT 8

The keys are not computed from pictures (the key studies, `evidence_keys`/`evidence_union`, judge
which keys find copies); here they only need the shape that decides the cost: 42-bit hashes, most
of them unique to their photo, and a skewed share (`--screen-share`, 5 %) of photos that are "one
app's screenshots" and draw their keys from one shared pool (`--pool`, 4 096 keys), so some probed
keys have long posting lists. Every key is a pure function of (seed, photo number, key number),
so probe sets can be built without reading the table back.

A probe set of P keys (`--probes`) reads a controlled number of rows R (`--hits`): half the keys
of one stored photo (the "original", which must come back in the top 8), keys of random other
photos (1 row each) and pool keys (long lists, `--long-share` of the rows), the rest random keys
that hit nothing. Per (P, R) it times fresh probe sets (first touch: "cold-ish", the OS page cache
may still hold the pages) and the same sets again ("hot"), and once more with index-only scans
disabled (what a lookup costs while the visibility map is not yet set, e.g. before autovacuum
passes over fresh rows). EXPLAIN (ANALYZE, BUFFERS) of a few sets gives rows read, shared
buffers hit/read and heap fetches. The table is loaded by binary COPY without the key, then the
primary key is built and VACUUM ANALYZE run; the database is dropped at the end.

    nice uv run python -m benchmarks.intake.key_index_scale [--photos 100000] [--keys-per-photo 64]
        [--photo-id int|uuid] [--probes 1536,3072] [--hits 2000,5500] [--lookups 200] [--repeat 3]
        [--set jit=off] [--keep]

Measured on 2026-12-07 (PostgreSQL 15.18 from Debian 12, the test cluster's settings:
shared_buffers 256MB, effective_cache_size 4GB, work_mem 4MB, jit on; a private instance of it on
port 55447 started by `deploy/postgres.sh start`; 2 shared cores, load average 3-7 from other
jobs). Defaults: 200 lookups per run, 3 runs per cell, ranges are min-max over the runs. "wall" is
what the client waited; "cpu" is the server backend's time on a CPU (/proc/<pid>/schedstat), the
part that depends less on the neighbours; the rest of the wall time was mostly waiting for a
CPU. R is the index rows the probes point at (1 536 probes cannot reach 5 500 rows with half of
them from lists of 77-1 575 rows, hence ~1 500-4 600). "1st" is EXPLAIN (ANALYZE, BUFFERS) of fresh sets:
shared buffers hit / read (read = not in shared_buffers; the OS page cache held it).

    table (load s)          P     R     hot wall p50  p99    hot cpu p50  p99   1st hit/read
    100k x 64 int           1536  2000  10-21   21-41        6-7    8-15        4737/0
    6.4 M rows, 462 MiB     1536  4200  11-21   15-116       6-9    8-11        4841/0
    (19 s)                  3072  2000  23-27   45-64        11     16-17       9353/0
                            3072  5500  17-34   46-53        12-15  18-20       9591/0
    100k x 64 uuid          1536  2000  10-16   22-42        7-9    10-12       5239/0
    6.4 M rows, 565 MiB     1536  4200  13-24   26-41        8-11   11-13       5916/0
    (18 s)                  3072  2000  23-28   48-50        11-12  16-17       9836/0
                            3072  5500  21-33   40-61        13-14  19-21       10931/0
    100k x 430 int          1536  2000  13-16   20-32        9-10   13-14       6191/1213
    43 M rows, 3 108 MiB    1536  4110  26-32   49-65        11-15  15-18       6252/1226
    (92 s)                  3072  2000  37-45   57-123       16-21  21-25       11114/2442
                            3072  5500  21-23   31-51        18-19  26-38       12361/2461
    1M x 64 int             1536  2000  14-22   26-58        10-13  13-15       5908/1330
    64 M rows, 4 626 MiB    1536  3890  22-39   42-128       10-12  15-17       6252/1330
    (160 s)                 3072  2000  22-40   36-67        17-18  23-25       10787/2640
                            3072  5430  30-58   55-110       21-26  27-32       12453/2654
    300k x 430 int          1536  1536  30-34   52-150       12-14  17-56       6140/1442
    129 M rows, 9 323 MiB   1536  3090  16-34   27-331       13-15  17-136      6165/1446
    (294 s)                 3072  2000  23-54   40-108       19-25  29-48       11240/2939
                            3072  4630  70-102  114-157      38-48  51-60       12270/2965

The same 1M x 64 int table with the instance restarted at shared_buffers 2GB (a server setting: a
session cannot raise it) and the session at effective_cache_size 16GB; 150 lookups, 2 runs per
cell (load 130 s):

    P     R       hot wall p50  p99      hot cpu p50  p99     1st hit/read
    512   100     5-8     27-29          4      4-7           1876/253
    512   1290    4-15    9-31           4-5    5-7           2395/136
    512   9940    28-35   59-73          10-13  13-38         2584/76
    1536  100     13-23   30-52          8-10   11-13         6196/31
    1536  2000    19-24   41-42          9-11   14-15         7252/3
    1536  10960   16-35   36-72          13-15  19-23         7687/3
    3072  100     17-26   63-64          13-14  20-21         12363/8
    3072  2000    50-52   408-464        18-19  141-160       13404/0
    3072  12500   64      104-113        24     35-50         15235/7


Bytes per row (heap + primary key): 75.8 with an int4 photo number, 92.7 with a uuid (+22 %, and
0-25 % more CPU per lookup at 100k). First-touch CPU is within the spread of hot CPU: the OS page
cache holds these tables (23 GB RAM), so a larger shared_buffers changed the reads, not the time.
Without index-only scans (visibility map not set, e.g. fresh rows before autovacuum) the planner
takes a bitmap heap scan or plain index scan: about the same CPU at 64 M rows when hot, but 1 000-
6 700 heap blocks read per lookup (EXPLAIN 96-262 ms for 1 300-9 900 rows on first touch), and
from 43 M rows JIT compiles 8 functions. Three 3 072-probe cells show CPU p99 40-160 ms: the
neighbours' load, which also lifts CPU time, not only the wait.

Reading. The backend's CPU per lookup at 64 M rows is about 2 ms + 3.7 us per probe (one B-tree
descent each, ~4 buffers) + 0.75 us per row read, p99 ~1.4x p50. So for p99 <= 20 ms of server
CPU on one free core: 512 probes with a few thousand rows (CPU p99 5-7 ms at 1 300 rows, 13-38
ms at 9 900), or ~1 500-2 000 probes with up to ~5 000
rows (1 536 / 2 000 rows: CPU p99 13-15 ms). 3 072 probes do not fit (CPU p99 20-32 ms even with
100-5 500 rows). On this shared 2-core machine the client waits about twice the CPU time, and only
512 probes stayed near 20 ms wall p99 (9-31 ms). The union scheme (~430 keys/photo, 3 072
probes, ~5 500 rows) at a million photos would be 430 M rows, ~33 GB with int4 ids (~40 GB
with uuid), more than this machine's RAM; not loaded here (extrapolated: ~17 min of load at the
2.3 s per million rows seen for 64-129 M rows, and at 300k x 430 it already costs CPU p50 19-48 ms
per lookup). The 64-keys x ~1 500-probe budget holds at a million photos in PostgreSQL 15 on
this machine for the server's CPU, not with room to spare for its neighbours.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import statistics
import struct
import sys
import time
import uuid
from dataclasses import dataclass

import asyncpg
import numpy as np

from benchmarks.support import percentile, scratch_database

KEY_BITS = 42
_KEY_MASK = np.uint64((1 << KEY_BITS) - 1)
_GOLDEN = np.uint64(0x9E3779B97F4A7C15)
# Salts that separate the independent draws made from one photo number.
_SALT_KEYS, _SALT_SCREEN, _SALT_START, _SALT_POOL, _SALT_UUID_HI, _SALT_UUID_LO = (
    np.uint64(s) for s in (0x1F3D, 0x5A17, 0x7E21, 0x2C9B, 0x4D83, 0x6B05)
)

QUERY = (
    "SELECT photo_id, count(*) FROM photo_reuse_keys WHERE key = ANY($1::bigint[])"
    " GROUP BY photo_id ORDER BY count(*) DESC LIMIT 8"
)

COPY_HEADER = b"PGCOPY\n\xff\r\n\x00" + struct.pack("!ii", 0, 0)
COPY_TRAILER = struct.pack("!h", -1)


def mix64(values: np.ndarray, salt: np.uint64) -> np.ndarray:
    """splitmix64's finaliser of `values` + salt: a bijection of uint64, so distinct inputs give
    distinct, well-spread outputs."""
    with np.errstate(over="ignore"):
        z = values.astype(np.uint64) + salt * _GOLDEN
        z = (z ^ (z >> np.uint64(30))) * np.uint64(0xBF58476D1CE4E5B9)
        z = (z ^ (z >> np.uint64(27))) * np.uint64(0x94D049BB133111EB)
        return z ^ (z >> np.uint64(31))


@dataclass(frozen=True)
class Layout:
    """What the stored keys look like: `photos` photos numbered 0.., each with `keys_per_photo`
    keys; a `screen_share` of them draw theirs as a run of consecutive entries of one shared
    pool of `pool` keys (so one photo's keys stay distinct), the others as 42-bit hashes."""

    photos: int
    keys_per_photo: int
    screen_share: float = 0.05
    pool: int = 4096
    seed: int = 14

    def __post_init__(self) -> None:
        if self.keys_per_photo > self.pool:
            raise ValueError("a screenshot draws distinct pool keys: keys_per_photo must be <= pool")

    def _salt(self, salt: np.uint64) -> np.uint64:
        return np.uint64((int(salt) * 1_000_003 + self.seed) & 0xFFFF_FFFF_FFFF_FFFF)

    def is_screenshot(self, photos: np.ndarray) -> np.ndarray:
        draw = mix64(photos, self._salt(_SALT_SCREEN)) % np.uint64(1_000_000)
        return draw < np.uint64(round(self.screen_share * 1_000_000))

    def pool_keys(self) -> np.ndarray:
        return mix64(np.arange(self.pool, dtype=np.uint64), self._salt(_SALT_POOL)) & _KEY_MASK

    def pool_starts(self, photos: np.ndarray) -> np.ndarray:
        return (mix64(photos, self._salt(_SALT_START)) % np.uint64(self.pool)).astype(np.int64)

    def unique_keys(self, photos: np.ndarray, numbers: np.ndarray) -> np.ndarray:
        """The hash key `numbers` of each photo in `photos` (broadcast together)."""
        index = photos.astype(np.uint64) * np.uint64(self.keys_per_photo) + numbers.astype(np.uint64)
        return mix64(index, self._salt(_SALT_KEYS)) & _KEY_MASK

    def keys(self, photos: np.ndarray) -> np.ndarray:
        """(len(photos), keys_per_photo) uint64 keys of `photos`."""
        photos = np.asarray(photos, dtype=np.uint64)
        numbers = np.arange(self.keys_per_photo, dtype=np.uint64)
        out = self.unique_keys(photos[:, None], numbers[None, :])
        screens = self.is_screenshot(photos)
        if screens.any():
            runs = (self.pool_starts(photos[screens])[:, None] + np.arange(self.keys_per_photo)) % self.pool
            out[screens] = self.pool_keys()[runs]
        return out

    def pool_lengths(self) -> np.ndarray:
        """Rows under each pool key: how many screenshots' runs cover it."""
        photos = np.arange(self.photos, dtype=np.uint64)
        starts = self.pool_starts(photos[self.is_screenshot(photos)])
        covered = (starts[:, None] + np.arange(self.keys_per_photo)) % self.pool
        return np.bincount(covered.ravel(), minlength=self.pool)


def photo_uuids(photos: np.ndarray, layout: Layout) -> np.ndarray:
    """16 bytes per photo number (a uuid4-like random id, as production's photo ids)."""
    photos = np.asarray(photos, dtype=np.uint64)
    pair = np.empty(len(photos), dtype=[("hi", ">u8"), ("lo", ">u8")])
    pair["hi"] = mix64(photos, layout._salt(_SALT_UUID_HI))
    pair["lo"] = mix64(photos, layout._salt(_SALT_UUID_LO))
    return pair.view("V16")


def copy_chunk(layout: Layout, photos: np.ndarray, *, photo_id: str) -> bytes:
    """The binary COPY tuples (key, photo_id) of `photos`, without header or trailer."""
    keys = layout.keys(photos)
    per = layout.keys_per_photo
    id_type = (">i4", 4) if photo_id == "int" else ("V16", 16)
    rows = np.empty(keys.size, dtype=[("n", ">i2"), ("klen", ">i4"), ("key", ">i8"), ("ilen", ">i4"), ("id", id_type[0])])
    rows["n"] = 2
    rows["klen"] = 8
    rows["key"] = keys.ravel().astype(np.int64)
    rows["ilen"] = id_type[1]
    rows["id"] = np.repeat(photos.astype(np.int64) if photo_id == "int" else photo_uuids(photos, layout), per)
    return rows.tobytes()


@dataclass(frozen=True)
class ProbeSet:
    keys: list[int]
    original: int
    rows: int  # index rows the keys point at, from the layout (hash collisions aside)


def probe_set(layout: Layout, rng: np.random.Generator, lengths: np.ndarray, *, probes: int, hits: int,
              long_share: float) -> ProbeSet:
    """`probes` keys that point at about `hits` rows: half the keys of one ordinary photo, keys of
    other ordinary photos (one row each) and pool keys (long lists) for `long_share` of the rest,
    the remaining keys random 42-bit values that (almost surely) hit nothing."""
    while True:
        original = int(rng.integers(layout.photos))
        if not layout.is_screenshot(np.array([original]))[0]:
            break
    own_count = min(layout.keys_per_photo // 2, probes // 4)
    own = layout.keys(np.array([original]))[0][rng.permutation(layout.keys_per_photo)[:own_count]]
    rest = max(0, hits - own_count)
    long_target = round(long_share * rest)
    order = rng.permutation(layout.pool)
    taken = (np.cumsum(lengths[order]) <= long_target) & (np.arange(layout.pool) < probes - own_count)
    long_keys = layout.pool_keys()[order[taken]]
    long_rows = int(lengths[order[taken]].sum())
    single_count = max(0, min(rest - long_rows, probes - own_count - len(long_keys)))
    others = rng.integers(layout.photos, size=4 * single_count + 16)
    others = others[(others != original) & ~layout.is_screenshot(others.astype(np.uint64))][:single_count]
    singles = layout.unique_keys(others, rng.integers(layout.keys_per_photo, size=len(others)))
    miss_count = max(0, probes - own_count - len(long_keys) - len(singles))
    misses = rng.integers(1 << KEY_BITS, size=miss_count, dtype=np.uint64)
    keys = np.concatenate([own, long_keys, singles, misses]).astype(np.int64)
    rng.shuffle(keys)
    return ProbeSet([int(k) for k in keys], original, own_count + long_rows + len(singles))


def plan_facts(plan_json: object) -> dict[str, float]:
    """From EXPLAIN (ANALYZE, BUFFERS, FORMAT JSON): execution ms, shared buffers hit/read of the
    whole plan, rows the key scan returned, its heap fetches, functions JIT-compiled, and the scan
    node's type."""
    root = plan_json[0] if isinstance(plan_json, list) else plan_json
    plan = root["Plan"]
    scan = None
    stack = [plan]
    while stack:
        node = stack.pop()
        if "Scan" in node["Node Type"] and node.get("Relation Name") == "photo_reuse_keys":
            scan = node
        stack.extend(node.get("Plans", []))
    if scan is None:
        raise ValueError("no scan of photo_reuse_keys in the plan")
    return {
        "ms": float(root["Execution Time"]),
        "hit": float(plan.get("Shared Hit Blocks", 0)),
        "read": float(plan.get("Shared Read Blocks", 0)),
        "rows": float(scan["Actual Rows"]) * float(scan.get("Actual Loops", 1)),
        "heap_fetches": float(scan.get("Heap Fetches", 0)),
        "jit_functions": float(root.get("JIT", {}).get("Functions", 0)),
        "scan": scan["Node Type"],
    }


# --- the database part ---------------------------------------------------------------------------


async def _load(conn: asyncpg.Connection, layout: Layout, *, photo_id: str, chunk: int) -> dict[str, float]:
    id_type = "int4" if photo_id == "int" else "uuid"
    await conn.execute(f"CREATE TABLE photo_reuse_keys (key bigint NOT NULL, photo_id {id_type} NOT NULL)")
    timings = {}
    started = time.perf_counter()

    async def source():
        yield COPY_HEADER
        for start in range(0, layout.photos, chunk):
            photos = np.arange(start, min(start + chunk, layout.photos), dtype=np.int64)
            yield copy_chunk(layout, photos, photo_id=photo_id)
            done = min(start + chunk, layout.photos)
            if done % max(chunk, layout.photos // 10) < chunk:
                print(f"  {done} photos copied, {time.perf_counter() - started:.0f} s", flush=True)
        yield COPY_TRAILER

    await conn.copy_to_table("photo_reuse_keys", source=source(), format="binary")
    timings["copy_s"] = time.perf_counter() - started
    mark = time.perf_counter()
    await conn.execute("SET maintenance_work_mem = '1GB'")
    await conn.execute("ALTER TABLE photo_reuse_keys ADD PRIMARY KEY (key, photo_id)")
    timings["index_s"] = time.perf_counter() - mark
    mark = time.perf_counter()
    await conn.execute("VACUUM (ANALYZE) photo_reuse_keys")
    timings["vacuum_s"] = time.perf_counter() - mark
    timings["total_s"] = time.perf_counter() - started
    return timings


def _schedstat(pid: int) -> tuple[int, int]:
    """(ns on a CPU, ns waiting for one) of process `pid` so far; (0, 0) where /proc has no schedstat."""
    try:
        with open(f"/proc/{pid}/schedstat") as stat:
            on_cpu, waiting = stat.read().split()[:2]
        return int(on_cpu), int(waiting)
    except OSError:
        return 0, 0


@dataclass
class Pass:
    wall: list[float]  # ms per lookup, as the client saw it
    cpu: list[float]  # ms the server backend spent on a CPU
    wait: list[float]  # ms the backend was runnable but waiting for a CPU (the shared machine)
    found: float  # share of lookups whose original came back in the top 8


async def _time(conn: asyncpg.Connection, sets: list[ProbeSet], backend: int) -> Pass:
    result = Pass([], [], [], 0.0)
    found = 0
    for probe in sets:
        before = _schedstat(backend)
        started = time.perf_counter()
        rows = await conn.fetch(QUERY, probe.keys)
        result.wall.append((time.perf_counter() - started) * 1000)
        after = _schedstat(backend)
        result.cpu.append((after[0] - before[0]) / 1e6)
        result.wait.append((after[1] - before[1]) / 1e6)
        found += any(_photo_number(row["photo_id"]) == probe.original for row in rows)
    result.found = found / len(sets)
    return result


_UUID_TO_NUMBER: dict[uuid.UUID, int] = {}


def _photo_number(photo_id: object) -> int:
    return _UUID_TO_NUMBER.get(photo_id, -1) if isinstance(photo_id, uuid.UUID) else int(photo_id)


async def _explain(conn: asyncpg.Connection, sets: list[ProbeSet]) -> list[dict[str, float]]:
    facts = []
    for probe in sets:
        raw = await conn.fetchval("EXPLAIN (ANALYZE, BUFFERS, FORMAT JSON) " + QUERY, probe.keys)
        facts.append(plan_facts(json.loads(raw) if isinstance(raw, str) else raw))
    return facts


def _line(label: str, samples: list[float]) -> str:
    return (f"{label:<30} p50 {statistics.median(samples):7.2f}  p95 {percentile(samples, 0.95):7.2f}"
            f"  p99 {percentile(samples, 0.99):7.2f}  max {max(samples):7.2f} ms")


def _pass_lines(label: str, timed: Pass) -> list[str]:
    lines = [_line(label + " wall", timed.wall)]
    if any(timed.cpu):
        lines.append(_line("  backend on CPU", timed.cpu))
        lines.append(_line("  backend waiting for CPU", timed.wait))
    return lines


def _explain_line(label: str, facts: list[dict[str, float]]) -> str:
    def med(name: str) -> float:
        return statistics.median(f[name] for f in facts)

    return (f"{label:<30} rows {med('rows'):7.0f}  buffers hit {med('hit'):7.0f} read {med('read'):6.0f}"
            f"  heap fetches {med('heap_fetches'):5.0f}  exec {med('ms'):6.2f} ms  JIT functions"
            f" {med('jit_functions'):.0f}  ({facts[0]['scan']})")


async def _study(conn: asyncpg.Connection, layout: Layout, lengths: np.ndarray, args: argparse.Namespace) -> None:
    rng = np.random.default_rng(layout.seed + 1)
    backend = await conn.fetchval("SELECT pg_backend_pid()")
    for probes in args.probes:
        for hits in args.hits:
            print(f"\nprobes {probes}, target rows {hits} (long-list share {args.long_share}):", flush=True)
            for repeat in range(args.repeat):
                sets = [probe_set(layout, rng, lengths, probes=probes, hits=hits, long_share=args.long_share)
                        for _ in range(args.lookups)]
                planned = [s.rows for s in sets]
                cold = await _time(conn, sets, backend)
                await _time(conn, sets, backend)
                hot = await _time(conn, sets, backend)
                await conn.execute("SET enable_indexonlyscan = off")
                await _time(conn, sets, backend)
                heap = await _time(conn, sets, backend)
                await conn.execute("RESET enable_indexonlyscan")
                print(f" run {repeat + 1}: planned rows p50 {statistics.median(planned):.0f} p99"
                      f" {percentile(planned, 0.99):.0f}; original in top 8: {cold.found:.1%}")
                for line in (_pass_lines("cold-ish (first touch)", cold) + _pass_lines("hot (third pass)", hot)
                             + _pass_lines("hot, no index-only scan", heap)):
                    print("  " + line)
                sys.stdout.flush()
            fresh = [probe_set(layout, rng, lengths, probes=probes, hits=hits, long_share=args.long_share)
                     for _ in range(args.explain)]
            print("  " + _explain_line("EXPLAIN first touch", await _explain(conn, fresh)))
            print("  " + _explain_line("EXPLAIN again", await _explain(conn, fresh)))
            await conn.execute("SET enable_indexonlyscan = off")
            print("  " + _explain_line("EXPLAIN no index-only", await _explain(conn, fresh)), flush=True)
            await conn.execute("RESET enable_indexonlyscan")


async def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--photos", type=int, default=100_000)
    parser.add_argument("--keys-per-photo", type=int, default=64)
    parser.add_argument("--photo-id", choices=["int", "uuid"], default="int")
    parser.add_argument("--probes", type=lambda s: [int(v) for v in s.split(",")], default=[1536, 3072])
    parser.add_argument("--hits", type=lambda s: [int(v) for v in s.split(",")], default=[2000, 5500])
    parser.add_argument("--long-share", type=float, default=0.5, help="share of the rows read from pool keys")
    parser.add_argument("--screen-share", type=float, default=0.05)
    parser.add_argument("--pool", type=int, default=4096)
    parser.add_argument("--lookups", type=int, default=200, help="probe sets timed per run")
    parser.add_argument("--repeat", type=int, default=3, help="runs per (probes, hits), fresh sets each")
    parser.add_argument("--explain", type=int, default=5, help="probe sets explained per (probes, hits)")
    parser.add_argument("--chunk", type=int, default=20_000, help="photos per COPY chunk")
    parser.add_argument("--set", action="append", default=[], metavar="NAME=VALUE",
                        help="session setting for the lookups, e.g. effective_cache_size=16GB")
    parser.add_argument("--seed", type=int, default=14)
    parser.add_argument("--keep", action="store_true", help="keep the database afterwards")
    args = parser.parse_args()
    layout = Layout(args.photos, args.keys_per_photo, args.screen_share, args.pool, args.seed)
    lengths = layout.pool_lengths()
    print(f"{args.photos} photos x {args.keys_per_photo} keys = {args.photos * args.keys_per_photo} rows,"
          f" photo_id {args.photo_id}; pool list length p50 {np.median(lengths):.0f} max {lengths.max()}")
    async with scratch_database("sigap_bench_keys_", show=("shared_buffers", "effective_cache_size", "work_mem", "jit", "random_page_cost"), keep=args.keep) as conn:
        timings = await _load(conn, layout, photo_id=args.photo_id, chunk=args.chunk)
        print("load: " + ", ".join(f"{k} {v:.1f}" for k, v in timings.items()))
        sizes = await conn.fetchrow(
            "SELECT pg_relation_size('photo_reuse_keys') AS heap,"
            " pg_relation_size('photo_reuse_keys_pkey') AS index")
        print(f"size: heap {sizes['heap'] / 2**20:.0f} MiB, index {sizes['index'] / 2**20:.0f} MiB,"
              f" {(sizes['heap'] + sizes['index']) / (args.photos * args.keys_per_photo):.1f} bytes/row")
        if args.photo_id == "uuid":
            numbers = np.arange(args.photos, dtype=np.int64)
            _UUID_TO_NUMBER.update(
                (uuid.UUID(bytes=bytes(b)), int(n)) for n, b in zip(numbers, photo_uuids(numbers, layout)))
        for setting in args.set:
            name, value = setting.split("=", 1)
            await conn.execute("SELECT set_config($1, $2, false)", name, value)
            print(f"  session: {name} = {await conn.fetchval('SELECT current_setting($1)', name)}")
        await _study(conn, layout, lengths, args)


if __name__ == "__main__":
    asyncio.run(main())
