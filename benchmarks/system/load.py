"""System benchmark: submission rate, submission-to-department-notification latency and CPU
per complaint across every process (four services, Kafka, PostgreSQL), on this machine.

    uv run python -m benchmarks.system.load --rate 500 --seconds 20

Needs Kafka and PostgreSQL running (`deploy/infra.sh up`). Starts its own four service
processes on free ports with fresh databases, sends complaints at a fixed open-loop rate,
waits until every one has reached its department's queue notification, then prints a report.
The load generator runs on the same cores; its own CPU is reported separately."""

from __future__ import annotations

import argparse
import asyncio
import dataclasses
import os
import random
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path

import asyncpg
import httpx
import orjson

from tests.support.infra import REPO_ROOT, Infra, delete_prefixed_topics, random_name
from tests.support.services import SERVICES, SigapSystem, start_service, wait_ready

CLOCK_TICKS = os.sysconf("SC_CLK_TCK")
CATEGORIES = ["jalan_rusak", "sampah", "lampu_jalan", "pedagang_kaki_lima", "drainase", "ktp", None]


def _cpu_seconds(pid: int) -> float:
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except (FileNotFoundError, ProcessLookupError):
        return 0.0
    return (int(fields[11]) + int(fields[12])) / CLOCK_TICKS  # utime + stime


def _children(pid: int) -> list[int]:
    found = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                ppid = int((entry / "stat").read_text().rsplit(")", 1)[1].split()[1])
            except (FileNotFoundError, ProcessLookupError, IndexError):
                continue
            if ppid == pid:
                found.append(int(entry.name))
    return found


def _infra_pids(infra: Infra) -> dict[str, list[int]]:
    data = Path(os.environ.get("SIGAP_DATA_DIR", REPO_ROOT / ".data"))
    kafka_port = infra.kafka_bootstrap.rsplit(":", 1)[1]
    pids: dict[str, list[int]] = {}
    kafka_pid_file = data / f"kafka-{kafka_port}" / "kafka.pid"
    if kafka_pid_file.exists():
        pids["kafka"] = [int(kafka_pid_file.read_text().strip())]
    cluster_file = data / f"postgres-{infra.pg_port}" / "cluster-dir"
    cluster = Path(cluster_file.read_text().strip()) if cluster_file.exists() else data / f"postgres-{infra.pg_port}"
    pid_file = cluster / "data" / "postmaster.pid"
    if pid_file.exists():
        postmaster = int(pid_file.read_text().split()[0])
        pids["postgres"] = [postmaster]
    return pids


def _postgres_usage(postmaster: int, databases: list[str], exclude: set[int]) -> tuple[float, float]:
    """CPU of the backends serving the benchmark's databases, and of the server's shared
    background processes (WAL writer, checkpointer, autovacuum...). Backends of other
    databases (other work on a shared server) and the benchmark's own (`exclude`) are left out."""
    own = background = 0.0
    for pid in _children(postmaster):
        if pid in exclude:
            continue
        try:
            title = Path(f"/proc/{pid}/cmdline").read_bytes().replace(b"\0", b" ").decode(errors="replace")
        except (FileNotFoundError, ProcessLookupError):
            continue
        if any(database in title for database in databases):
            own += _cpu_seconds(pid)
        elif not any(marker in title for marker in ("127.0.0.1", "[local]", "autovacuum worker")):
            background += _cpu_seconds(pid)
    return own + _cpu_seconds(postmaster), background


def _snapshot(
    system: SigapSystem, infra_pids: dict[str, list[int]], databases: list[str], exclude: set[int]
) -> dict[str, float]:
    usage = {name: _cpu_seconds(service.process.pid) for name, service in system.services.items()}
    if "kafka" in infra_pids:
        usage["kafka"] = sum(_cpu_seconds(pid) for pid in infra_pids["kafka"])
    if "postgres" in infra_pids:
        usage["postgres"], usage["postgres-shared"] = _postgres_usage(infra_pids["postgres"][0], databases, exclude)
    usage["load-generator"] = time.process_time()
    return usage


def _complaint(index: int) -> dict:
    category = random.choice(CATEGORIES)
    body = {
        "description": f"Laporan uji beban nomor {index}: jalan rusak parah di dekat Margonda, mohon ditindak",
        "location": {"lat": -6.40 + random.random() * 0.05, "lon": 106.79 + random.random() * 0.05},
        "reporter": {"name": "Warga Uji", "email": f"warga{index}@example.com"},
    }
    if category:
        body["category"] = category
    return body


class _Connection:
    """A bare keep-alive HTTP/1.1 connection: the load generator shares the two cores with
    the system under test, so it must cost far less per request than a full HTTP client."""

    def __init__(self, host: str, port: int) -> None:
        self._host, self._port = host, port
        self._reader: asyncio.StreamReader | None = None
        self._writer: asyncio.StreamWriter | None = None

    async def post(self, path: str, body: bytes) -> int:
        if self._writer is None:
            self._reader, self._writer = await asyncio.open_connection(self._host, self._port)
        head = (
            f"POST {path} HTTP/1.1\r\nHost: {self._host}\r\nContent-Type: application/json\r\n"
            f"Content-Length: {len(body)}\r\n\r\n"
        ).encode()
        self._writer.write(head + body)
        status_line = await self._reader.readline()
        length = 0
        while True:
            line = await self._reader.readline()
            if line in (b"\r\n", b""):
                break
            name, _, value = line.partition(b":")
            if name.strip().lower() == b"content-length":
                length = int(value)
        await self._reader.readexactly(length)
        return int(status_line.split()[1])


async def _drive(url: str, rate: float, seconds: float) -> tuple[int, dict[int, int], float]:
    parsed = httpx.URL(url)
    statuses: dict[int, int] = {}
    total = int(rate * seconds)
    idle: list[_Connection] = []

    async def send(index: int) -> None:
        body = orjson.dumps(_complaint(index))
        reused = bool(idle)
        connection = idle.pop() if idle else _Connection(parsed.host, parsed.port)
        try:
            status = await connection.post(parsed.path, body)
        except (OSError, asyncio.IncompleteReadError, ValueError, IndexError) as exc:
            if not reused:
                status = -1
                print("request failed:", repr(exc))
            else:
                # The server closes idle keep-alive connections; that is not a failed request.
                connection = _Connection(parsed.host, parsed.port)
                status = await connection.post(parsed.path, body)
        idle.append(connection)
        statuses[status] = statuses.get(status, 0) + 1

    tasks = []
    start = time.perf_counter()
    for index in range(total):
        delay = start + index / rate - time.perf_counter()
        if delay > 0:
            await asyncio.sleep(delay)
        tasks.append(asyncio.create_task(send(index)))
    await asyncio.gather(*tasks)
    return total, statuses, time.perf_counter() - start


async def _wait_delivered(monitor: asyncpg.Connection, expected: int, timeout_s: float) -> int:
    """Polls notify's database on the benchmark's own connection (whose backend's CPU is left
    out of the report)."""
    deadline = time.monotonic() + timeout_s
    count = 0
    while time.monotonic() < deadline:
        count = await monitor.fetchval(
            "SELECT count(DISTINCT complaint_id) FROM notifications WHERE event_type = 'sigap.complaint.routed.v1'"
        )
        if count >= expected:
            break
        await asyncio.sleep(0.25)
    return count


async def _latencies(infra: Infra, intake_db: str, notify_db: str, since: datetime) -> list[float]:
    intake = await asyncpg.connect(**infra.pg_kwargs(intake_db))
    notify = await asyncpg.connect(**infra.pg_kwargs(notify_db))
    try:
        submitted = {
            r["id"]: r["submitted_at"]
            for r in await intake.fetch("SELECT id, submitted_at FROM complaints WHERE submitted_at >= $1", since)
        }
        notified = {
            r["complaint_id"]: r["first"]
            for r in await notify.fetch(
                "SELECT complaint_id, min(created_at) AS first FROM notifications"
                " WHERE event_type = 'sigap.complaint.routed.v1' GROUP BY complaint_id"
            )
        }
    finally:
        await intake.close()
        await notify.close()
    return sorted(
        (notified[cid] - at).total_seconds() * 1000 for cid, at in submitted.items() if cid in notified
    )


async def _statement_stats_available(admin: asyncpg.Connection, infra: Infra, databases: dict[str, str]) -> bool:
    """pg_stat_statements in each benchmark database, when the server preloads it
    (deploy/postgres.sh does); the report then lists the costliest statements."""
    if "pg_stat_statements" not in (await admin.fetchval("SHOW shared_preload_libraries")):
        return False
    await admin.execute("CREATE EXTENSION IF NOT EXISTS pg_stat_statements")
    for database in databases.values():
        conn = await asyncpg.connect(**infra.pg_kwargs(database))
        try:
            await conn.execute("CREATE EXTENSION IF NOT EXISTS pg_stat_statements")
        finally:
            await conn.close()
    return True


async def _reset_statement_stats(admin: asyncpg.Connection, databases: dict[str, str]) -> None:
    await admin.execute(
        "SELECT pg_stat_statements_reset(0::oid, oid, 0::bigint) FROM pg_database WHERE datname = ANY($1::text[])",
        list(databases.values()),
    )


async def _costliest_statements(admin: asyncpg.Connection, databases: dict[str, str], limit: int = 15) -> list:
    service_of = {database: service for service, database in databases.items()}
    rows = await admin.fetch(
        "SELECT d.datname, s.calls, s.total_exec_time, s.rows, s.query"
        " FROM pg_stat_statements s JOIN pg_database d ON d.oid = s.dbid"
        " WHERE d.datname = ANY($1::text[]) ORDER BY s.total_exec_time DESC LIMIT $2",
        list(databases.values()),
        limit,
    )
    return [(service_of[row["datname"]], row["calls"], row["total_exec_time"], row["rows"], row["query"]) for row in rows]


async def _database_activity(admin: asyncpg.Connection, databases: dict[str, str]) -> dict[str, dict[str, int]]:
    rows = await admin.fetch(
        "SELECT datname, xact_commit, xact_rollback, tup_inserted, tup_updated, tup_deleted, tup_returned,"
        " tup_fetched FROM pg_stat_database WHERE datname = ANY($1::text[])",
        list(databases.values()),
    )
    by_database = {row["datname"]: dict(row) for row in rows}
    return {
        service: {key: int(value) for key, value in by_database[database].items() if key != "datname"}
        for service, database in databases.items()
    }


def _percentile(sorted_values: list[float], fraction: float) -> float:
    if not sorted_values:
        return float("nan")
    return sorted_values[min(len(sorted_values) - 1, int(round(fraction * (len(sorted_values) - 1))))]


async def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--rate", type=float, default=500, help="complaints per second (open loop)")
    parser.add_argument("--seconds", type=float, default=20, help="how long to send")
    parser.add_argument("--warmup", type=int, default=200, help="complaints sent before measuring")
    args = parser.parse_args()

    infra = Infra(
        kafka_bootstrap=os.environ.get("SIGAP_KAFKA_BOOTSTRAP", "127.0.0.1:9092"),
        pg_host="127.0.0.1",
        pg_port=int(os.environ.get("SIGAP_PG_PORT", "55432")),
        pg_user=os.environ.get("SIGAP_PG_USER", "sigap"),
        pg_password=os.environ.get("SIGAP_PG_PASSWORD", "sigap"),
    )
    admin = await asyncpg.connect(**infra.pg_kwargs("postgres"))
    databases = {name: random_name(f"sigap_bench_{name}") for name in SERVICES}
    for name in databases.values():
        await admin.execute(f'CREATE DATABASE "{name}"')
    statement_stats = await _statement_stats_available(admin, infra, databases)
    log_dir = Path(tempfile.mkdtemp(prefix="sigap-bench-"))
    system = SigapSystem()
    group_prefix = random_name("bench")
    try:
        for name in SERVICES:
            system.services[name] = start_service(
                name,
                infra=infra,
                database=databases[name],
                group_prefix=group_prefix,
                log_dir=log_dir,
                extra_env={"SIGAP_LOG_LEVEL": "WARNING", "SIGAP_KAFKA_TOPIC_PREFIX": f"{group_prefix}."},
            )
        wait_ready(system)
        monitor = await asyncpg.connect(**infra.pg_kwargs(databases["notify"]))
        ours = {await monitor.fetchval("SELECT pg_backend_pid()"), await admin.fetchval("SELECT pg_backend_pid()")}
        url = f"{system.url('intake')}/v1/complaints"
        await _drive(url, rate=min(args.rate, 200), seconds=args.warmup / min(args.rate, 200))
        await _wait_delivered(monitor, args.warmup, timeout_s=60)

        # PostgreSQL publishes an idle backend's statistics within 10 s (PG 15): let the
        # warm-up's arrive before the baseline is read.
        await asyncio.sleep(11)
        infra_pids = _infra_pids(infra)
        before = _snapshot(system, infra_pids, list(databases.values()), ours)
        db_before = await _database_activity(admin, databases)
        if statement_stats:
            await _reset_statement_stats(admin, databases)
        measure_start = datetime.now(UTC)
        wall_start = time.perf_counter()
        sent, statuses, send_elapsed = await _drive(url, rate=args.rate, seconds=args.seconds)
        delivered = await _wait_delivered(monitor, args.warmup + sent, timeout_s=120)
        wall = time.perf_counter() - wall_start
        after = _snapshot(system, infra_pids, list(databases.values()), ours)
        await monitor.close()
        await asyncio.sleep(11)
        db_after = await _database_activity(admin, databases)
        costliest = await _costliest_statements(admin, databases) if statement_stats else []
        latencies = await _latencies(infra, databases["intake"], databases["notify"], measure_start)
    finally:
        system.stop()
        await delete_prefixed_topics(dataclasses.replace(infra, topic_prefix=f"{group_prefix}."))
        for name in databases.values():
            await admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        await admin.close()

    cpu = {name: (after[name] - before.get(name, 0.0)) for name in after}
    system_cpu = sum(value for name, value in cpu.items() if name != "load-generator")
    measured = latencies
    print()
    print("Sigap system benchmark")
    print(f"  offered rate        {args.rate:.0f}/s for {args.seconds:.0f}s  ({sent} complaints)")
    print(f"  achieved send rate  {sent / send_elapsed:.0f}/s   HTTP statuses {dict(sorted(statuses.items()))}")
    print(f"  delivered           {delivered - args.warmup}/{sent} to the department queue notification")
    print(f"  end-to-end rate     {sent / wall:.0f}/s (send start to last notification)")
    print(
        f"  latency submit→department notification, {len(measured)} complaints (ms):"
        f" p50 {_percentile(measured, 0.50):.0f}  p95 {_percentile(measured, 0.95):.0f}"
        f"  p99 {_percentile(measured, 0.99):.0f}  max {measured[-1] if measured else float('nan'):.0f}"
    )
    print(f"  CPU per complaint   {system_cpu * 1000 / max(sent, 1):.2f} ms (all Sigap processes, Kafka, PostgreSQL)")
    for name, seconds in sorted(cpu.items(), key=lambda item: -item[1]):
        print(f"    {name:15s} {seconds * 1000 / max(sent, 1):6.2f} ms/complaint   {seconds:6.1f} s total")
    print("  database work per complaint (pg_stat_database)")
    print("    service         transactions  rows inserted  rows updated  rows deleted  rows read")
    for name in SERVICES:
        delta = {key: db_after[name][key] - db_before[name][key] for key in db_after[name]}
        per = {key: value / max(sent, 1) for key, value in delta.items()}
        print(
            f"    {name:15s} {per['xact_commit'] + per['xact_rollback']:12.2f} {per['tup_inserted']:14.2f}"
            f" {per['tup_updated']:13.2f} {per['tup_deleted']:13.2f} {per['tup_returned'] + per['tup_fetched']:10.1f}"
        )
    if costliest:
        print("  costliest statements (pg_stat_statements, measured window)")
        print("    service   calls/complaint  exec ms/complaint  statement")
        for service, calls, total_ms, _rows, query in costliest:
            text = " ".join(query.split())
            print(f"    {service:9s} {calls / max(sent, 1):15.2f} {total_ms / max(sent, 1):18.3f}  {text[:90]}")
    print("  (postgres counts only the benchmark databases' backends, not the benchmark's own polling;")
    print("   its polls of notify's database do show in notify's rows read; postgres-shared (WAL writer,")
    print("   checkpointer...) and kafka also serve anything else using them at the same time)")
    print(f"  service logs        {log_dir}")


if __name__ == "__main__":
    asyncio.run(main())
