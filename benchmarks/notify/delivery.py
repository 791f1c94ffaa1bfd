"""Benchmark of notify's delivery path against the real PostgreSQL, with a real SMTP server
and a real webhook receiver in a separate process (so their CPU is not counted as notify's).

For each complaint, its submission (which tells notify the complaint exists), a
`ComplaintRouted` and a `ComplaintStatusChanged` are handled as the consumer does (batches in
one transaction). With everything on (`--scenario full`) that
records 5 deliveries: dashboard, staff email, reporter email and one webhook per event; with
`--scenario lean` (no webhook registered, no staff email address: the default set-up) it
records the dashboard delivery and the reporter email. Both queue 2 department-topic copies
in the outbox, which the real outbox relay publishes to the real Kafka. Reported: CPU per
complaint of the notify process (handler + dispatcher + relay), throughput, and latency from
the handler's commit to the webhook receiver (full) or to the dashboard push (lean).
Also reported, per complaint, the database work of notify's (fresh, private) database from
`pg_stat_database`: transactions, rows inserted, updated, deleted and read (returned by scans),
and the CPU of the PostgreSQL backends serving it (read from /proc: PostgreSQL runs on this
machine). PostgreSQL 15 publishes an idle backend's counters up to 10 s late, so the counters
are read after 11 s of quiet at the start and at the end.

    uv run python -m benchmarks.notify.delivery --complaints 2000 --rate 300 --scenario full
    uv run python -m benchmarks.notify.delivery --complaints 2000 --rate 500 --scenario lean
    uv run python -m benchmarks.notify.delivery --complaints 4000 --scenario handler

`--scenario handler` measures only the consumer's side (as fast as it goes, 250 complaints
per transaction as a consumer batch would be): what notify costs per complaint before sending.
"""

from __future__ import annotations

import argparse
import asyncio
import multiprocessing
import os
import resource
import time
import uuid
from datetime import UTC, datetime

import asyncpg
import httpx

from sigap_notify.bootstrap import build_channels, build_resolver, new_http_session, open_egress
from sigap_notify.dashboard.hub import DashboardHub
from sigap_notify.deliveries.dispatcher import Dispatcher
from sigap_notify.events.handlers import on_complaint_event, on_complaints_submitted
from sigap_notify.reporter.repository import upsert_subscription
from sigap_notify.sealing import SecretBox
from sigap_notify.settings import NotifySettings
from sigap_notify.subscriptions.repository import create_webhook, set_department_emails
from sigap_shared.db import apply_migrations, package_migrations, shared_migrations
from sigap_shared.events import ComplaintSubmitted, Envelope, ReporterRef
from sigap_shared.outbox import OutboxRelay
from tests.support import events

PG = {"host": "127.0.0.1", "port": 55432, "user": "sigap", "password": "sigap"}
STATS_DELAY_S = 11.0  # PostgreSQL 15 flushes an idle backend's statistics within 10 s
_COUNTERS = ("xact", "tup_inserted", "tup_updated", "tup_deleted", "tup_returned", "tup_fetched")


class DatabaseWork:
    """Counters of one database (pg_stat_database) and CPU of its backends, between two points."""

    def __init__(self, admin: asyncpg.Connection, database: str) -> None:
        self._admin = admin
        self._database = database
        self._counters: dict[str, int] = {}
        self._tables: dict[str, tuple[int, ...]] = {}
        self._indexes: dict[str, tuple[int, int]] = {}
        self.tables: dict[str, tuple[int, ...]] = {}
        self.indexes: dict[str, tuple[int, int]] = {}
        self._cpu: dict[int, float] = {}
        self.counters: dict[str, int] = {}
        self.backend_cpu_s = 0.0

    async def _read_counters(self) -> dict[str, int]:
        row = await self._admin.fetchrow(
            "SELECT xact_commit + xact_rollback AS xact, tup_inserted, tup_updated, tup_deleted,"
            " tup_returned, tup_fetched FROM pg_stat_database WHERE datname = $1",
            self._database,
        )
        return {name: int(row[name]) for name in _COUNTERS}

    async def _read_tables(self) -> tuple[dict[str, tuple[int, ...]], dict[str, tuple[int, int]]]:
        """Per table (catalogs too): rows read by sequential scans, index entries read, inserts,
        updates (of which HOT), deletes; per index: scans. From the benchmark database's own view."""
        conn = await asyncpg.connect(**PG, database=self._database)
        try:
            tables = await conn.fetch(
                "SELECT t.relname, t.seq_tup_read, coalesce(i.idx_tup_read, 0) AS idx_tup_read, t.n_tup_ins,"
                " t.n_tup_upd, t.n_tup_hot_upd, t.n_tup_del FROM pg_stat_all_tables t"
                " LEFT JOIN (SELECT relid, sum(idx_tup_read) AS idx_tup_read FROM pg_stat_all_indexes"
                " GROUP BY relid) i ON i.relid = t.relid"
            )
            indexes = await conn.fetch("SELECT indexrelname, idx_scan, idx_tup_read FROM pg_stat_user_indexes")
        finally:
            await conn.close()
        return (
            {row["relname"]: tuple(int(value) for value in list(row.values())[1:]) for row in tables},
            {row["indexrelname"]: (int(row["idx_scan"]), int(row["idx_tup_read"])) for row in indexes},
        )

    async def _backend_cpu(self) -> dict[int, float]:
        pids = await self._admin.fetch("SELECT pid FROM pg_stat_activity WHERE datname = $1", self._database)
        ticks = os.sysconf("SC_CLK_TCK")
        cpu: dict[int, float] = {}
        for row in pids:
            try:
                with open(f"/proc/{row['pid']}/stat") as stat:
                    fields = stat.read().rsplit(")", 1)[1].split()
                cpu[row["pid"]] = (int(fields[11]) + int(fields[12])) / ticks
            except (OSError, IndexError, ValueError):
                continue
        return cpu

    async def start(self) -> None:
        await asyncio.sleep(STATS_DELAY_S)
        self._counters = await self._read_counters()
        self._tables, self._indexes = await self._read_tables()
        self._cpu = await self._backend_cpu()

    async def stop_cpu(self) -> None:
        """Backend CPU is read before the benchmark's connections close (it dies with them)."""
        now = await self._backend_cpu()
        self.backend_cpu_s = sum(value - self._cpu.get(pid, 0.0) for pid, value in now.items())

    async def stop_counters(self) -> None:
        await asyncio.sleep(STATS_DELAY_S)
        end = await self._read_counters()
        self.counters = {name: end[name] - self._counters[name] for name in _COUNTERS}
        tables, indexes = await self._read_tables()
        for name, values in tables.items():
            before = self._tables.get(name, (0,) * len(values))
            self.tables[name] = tuple(now - then for now, then in zip(values, before, strict=True))
        self.indexes = {
            name: (scans - self._indexes.get(name, (0, 0))[0], read - self._indexes.get(name, (0, 0))[1])
            for name, (scans, read) in indexes.items()
        }

    def report(self, complaints: int) -> None:
        per = {name: value / complaints for name, value in self.counters.items()}
        print(
            f"  database per complaint     {per['xact']:.2f} transactions, {per['tup_inserted']:.2f} rows inserted, "
            f"{per['tup_updated']:.2f} updated, {per['tup_deleted']:.2f} deleted, "
            f"{per['tup_returned']:.1f} returned, {per['tup_fetched']:.1f} fetched"
        )
        print(
            f"  PostgreSQL backends        {self.backend_cpu_s * 1000 / complaints:.2f} CPU-ms/complaint "
            "(this database's connections)"
        )
        print("  per table, per complaint   seq-read   idx-read  inserted  updated (HOT)  deleted")
        for name, values in sorted(self.tables.items()):
            if any(value / complaints >= 0.05 for value in values):
                seq, idx, ins, upd, hot, dele = (value / complaints for value in values)
                print(f"    {name:24} {seq:8.1f} {idx:10.1f} {ins:9.2f} {upd:8.2f} ({hot:.2f}) {dele:8.2f}")
        used = ", ".join(
            f"{name} {scans}/{read / complaints:.1f}" for name, (scans, read) in sorted(self.indexes.items()) if scans
        )
        unused = ", ".join(sorted(name for name, (scans, _) in self.indexes.items() if not scans))
        print(f"  index scans (entries read per complaint) {used}")
        print(f"  indexes not scanned        {unused}")


def _receivers(smtp_port: int, http_port: int, ready, results) -> None:
    """Child process: an aiosmtpd server and a uvicorn webhook receiver recording arrival times."""
    import uvicorn
    from aiosmtpd.controller import Controller
    from starlette.applications import Starlette
    from starlette.requests import Request
    from starlette.responses import Response
    from starlette.routing import Route

    arrivals: dict[str, float] = {}
    mails = [0]

    class Smtp:
        async def handle_DATA(self, server, session, envelope):  # noqa: N802
            mails[0] += 1
            return "250 OK"

    async def hook(request: Request) -> Response:
        await request.body()
        arrivals.setdefault(request.headers["sigap-event-id"], time.time())
        return Response(status_code=204)

    async def report(request: Request) -> Response:
        results.put((dict(arrivals), mails[0]))
        return Response(status_code=204)

    controller = Controller(Smtp(), hostname="127.0.0.1", port=smtp_port)
    controller.start()
    app = Starlette(routes=[Route("/hook", hook, methods=["POST"]), Route("/report", report, methods=["POST"])])
    ready.set()
    uvicorn.run(app, host="127.0.0.1", port=http_port, log_config=None, access_log=False)


def _free_port() -> int:
    import socket

    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _submissions(pairs) -> list[Envelope]:
    """The complaints' submissions, which notify's consumer reads (in a batch, as here) before
    it acts on their events."""
    return [
        Envelope(
            source="sigap/intake",
            data=ComplaintSubmitted(
                complaint_id=routed.data.complaint_id,
                tracking_code=code,
                kind="pengaduan",
                description="Lampu PJU di Jl. Nusantara Raya mati semua sejak 3 hari",
                privacy="anonim",
                submitted_at=routed.data.routed_at,
            ),
        )
        for routed, _, code in pairs
    ]


def _events(department: str) -> tuple[Envelope, Envelope, str]:
    pseudonym = "Pelapor-" + uuid.uuid4().hex[:8].upper()
    reporter = ReporterRef(pseudonym=pseudonym, channels=("email",))
    now = datetime.now(UTC)
    routed = events.routed(department=department, reporter=reporter, routed_at=now)
    complaint = {"complaint_id": routed.data.complaint_id, "tracking_code": routed.data.tracking_code}
    change = {"department": department, "status": "diterima", "reporter": reporter, "changed_at": now}
    changed = events.status_changed(**complaint, **change)
    return routed, changed, routed.data.tracking_code


def _pct(values: list[float], p: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(round(p / 100 * (len(ordered) - 1))))] if ordered else float("nan")


async def main(complaints: int, rate: float, batch: int, scenario: str = "full") -> None:
    full = scenario == "full"
    database = "sigap_bench_notify_" + uuid.uuid4().hex[:8]
    admin = await asyncpg.connect(**PG, database="postgres")
    await admin.execute(f'CREATE DATABASE "{database}"')
    smtp_port, http_port = _free_port(), _free_port()
    ready, results = multiprocessing.Event(), multiprocessing.Queue()
    child = multiprocessing.Process(target=_receivers, args=(smtp_port, http_port, ready, results), daemon=True)
    child.start()
    ready.wait(30)
    await asyncio.sleep(1.0)
    settings = NotifySettings(
        environment="test",
        pg_database=database,
        smtp_host="127.0.0.1",
        smtp_port=smtp_port,
        webhook_allow_http=True,
        webhook_allowed_networks=["127.0.0.0/8"],  # the receiver listens on loopback
        dispatcher_poll_interval_s=0.5,
        dispatcher_batch_size=200,
        dispatcher_concurrency=50,
    )
    pool = await asyncpg.create_pool(**settings.pg_connect_kwargs(), min_size=4, max_size=20)
    try:
        await apply_migrations(pool, [shared_migrations(), package_migrations("sigap_notify")])
        department = "BENCH"
        async with pool.acquire() as conn:
            if full:
                await set_department_emails(
                    conn=conn, department=department, emails=["antrean@bench.example"]
                )
                webhook_id = uuid.uuid4()
                await create_webhook(
                    conn=conn,
                    subscription_id=webhook_id,
                    department=department,
                    url=f"http://127.0.0.1:{http_port}/hook",
                    secret_sealed=SecretBox(settings.webhook_key()).seal(
                        "bench-secret-0123456789", webhook_id=webhook_id
                    ),
                    created_by="bench",
                )
        pairs = [_events(department) for _ in range(complaints)]
        for _, _, code in pairs:  # reporters subscribed directly, so reporter email is sent too
            async with pool.acquire() as conn:
                await upsert_subscription(
                    conn=conn,
                    subscription_id=uuid.uuid4(),
                    tracking_code=code,
                    complaint_id=uuid.uuid4(),
                    channel="email",
                    address_sealed=SecretBox(settings.webhook_key()).seal_address(
                        "warga@bench.example", tracking_code=code, channel="email"
                    ),
                    language="id",
                )

        http = new_http_session(settings)
        egress = open_egress(settings)
        hub = DashboardHub()
        dispatcher = Dispatcher(
            pool=pool,
            connect_kwargs=settings.pg_connect_kwargs(),
            channels=build_channels(
                settings,
                pool=pool,
                hub=hub,
                http=http,
                resolver=build_resolver(settings, pool, http),
                egress=egress,
            ),
            batch_size=settings.dispatcher_batch_size,
            concurrency=settings.dispatcher_concurrency,
            poll_interval_s=settings.dispatcher_poll_interval_s,
        )
        dispatch_task = asyncio.create_task(dispatcher.run())
        relay = OutboxRelay(
            connect_kwargs=settings.pg_connect_kwargs(),
            bootstrap=settings.kafka_bootstrap,
            client_id="bench-notify-relay",
            poll_interval_s=0.5,
        )
        relay_task = asyncio.create_task(relay.run())
        pushed: dict[str, float] = {}
        stream = hub.subscribe(department)

        async def watch_dashboard() -> None:
            while True:
                message = await stream.get()
                pushed.setdefault(message["event_id"], time.time())

        watcher = asyncio.create_task(watch_dashboard())
        await asyncio.sleep(1.0)
        work = DatabaseWork(admin, database)
        await work.start()

        committed: dict[str, float] = {}
        cpu0, wall0 = time.process_time(), time.perf_counter()
        interval = batch / rate
        next_at = time.perf_counter()
        for start in range(0, complaints, batch):
            chunk = pairs[start : start + batch]
            async with pool.acquire() as conn, conn.transaction():
                await on_complaints_submitted(conn=conn, envelopes=_submissions(chunk))
                for routed, changed, _ in chunk:
                    await on_complaint_event(conn=conn, envelope=routed)
                    await on_complaint_event(conn=conn, envelope=changed)
            now = time.time()
            for routed, _, _ in chunk:
                committed[str(routed.id)] = now
            next_at += interval
            await asyncio.sleep(max(0.0, next_at - time.perf_counter()))
        feed_wall = time.perf_counter() - wall0

        expected = complaints * (5 if full else 3)  # lean: staff email has no address
        while True:
            done = await pool.fetchval(
                "SELECT count(*) FROM notifications WHERE status IN ('sent','failed','undeliverable')"
            )
            if (done >= expected and relay.published >= 2 * complaints) or time.perf_counter() - wall0 > 600:
                break
            await asyncio.sleep(0.2)
        total_wall = time.perf_counter() - wall0
        total_cpu = time.process_time() - cpu0
        await work.stop_cpu()
        for task in (dispatch_task, relay_task, watcher):
            task.cancel()
        await asyncio.gather(dispatch_task, relay_task, watcher, return_exceptions=True)
        await work.stop_counters()
        await http.close()
        await egress.close()
        statuses = dict(await pool.fetch("SELECT status, count(*) FROM notifications GROUP BY status"))
        async with httpx.AsyncClient() as client:
            await client.post(f"http://127.0.0.1:{http_port}/report")
        arrivals, mails = results.get(timeout=30)
        seen = arrivals if full else pushed
        latencies = [(seen[eid] - committed[eid]) * 1000 for eid in committed if eid in seen]
        usage = resource.getrusage(resource.RUSAGE_SELF)
        print(f"notify delivery benchmark, scenario {scenario}")
        print(f"  complaints                 {complaints} (offered at {rate:.0f}/s in batches of {batch})")
        print(f"  department-topic records   {relay.published} published to Kafka")
        print(f"  deliveries                 {expected} expected, by status {statuses}")
        print(f"  emails received            {mails}")
        print(f"  handled                    {complaints / feed_wall:.0f} complaints/s")
        print(
            f"  end to end                 {complaints / total_wall:.0f} complaints/s, "
            f"{expected / total_wall:.0f} deliveries/s, "
            f"{total_cpu * 1000 / complaints:.2f} CPU-ms/complaint (notify process: handler + dispatcher + relay)"
        )
        target = "webhook" if full else "dashboard"
        print(
            f"  commit -> {target:9} latency p50 {_pct(latencies, 50):.0f} ms, p99 {_pct(latencies, 99):.0f} ms, "
            f"max {max(latencies, default=float('nan')):.0f} ms ({len(latencies)} samples)"
        )
        work.report(complaints)
        print(f"  max RSS                    {usage.ru_maxrss / 1024:.0f} MiB; cores {os.cpu_count()}")
    finally:
        await pool.close()
        await admin.execute(f'DROP DATABASE IF EXISTS "{database}" WITH (FORCE)')
        await admin.close()
        child.terminate()


async def handler_only(complaints: int) -> None:
    database = "sigap_bench_notify_" + uuid.uuid4().hex[:8]
    admin = await asyncpg.connect(**PG, database="postgres")
    await admin.execute(f'CREATE DATABASE "{database}"')
    pool = await asyncpg.create_pool(**PG, database=database, min_size=2, max_size=4)
    try:
        await apply_migrations(pool, [shared_migrations(), package_migrations("sigap_notify")])
        pairs = [_events("BENCH") for _ in range(complaints)]
        work = DatabaseWork(admin, database)
        await work.start()
        wall0, cpu0 = time.perf_counter(), time.process_time()
        for start in range(0, complaints, 250):
            async with pool.acquire() as conn, conn.transaction():
                await on_complaints_submitted(conn=conn, envelopes=_submissions(pairs[start : start + 250]))
                for routed, changed, _ in pairs[start : start + 250]:
                    await on_complaint_event(conn=conn, envelope=routed)
                    await on_complaint_event(conn=conn, envelope=changed)
        wall, cpu = time.perf_counter() - wall0, time.process_time() - cpu0
        await work.stop_cpu()
        await work.stop_counters()
        print("notify handler benchmark (consumer side only)")
        print(f"  complaints                 {complaints} (2 events each)")
        print(
            f"  throughput                 {complaints / wall:.0f} complaints/s, "
            f"{wall * 1e6 / (2 * complaints):.0f} us/event"
        )
        print(f"  CPU                        {cpu * 1000 / complaints:.2f} CPU-ms/complaint (notify process)")
        work.report(complaints)
    finally:
        await pool.close()
        await admin.execute(f'DROP DATABASE IF EXISTS "{database}" WITH (FORCE)')
        await admin.close()


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--complaints", type=int, default=2000)
    parser.add_argument("--rate", type=float, default=500.0, help="complaints per second offered")
    parser.add_argument("--batch", type=int, default=25, help="complaints per consumer transaction")
    parser.add_argument("--scenario", choices=("full", "lean", "handler"), default="full")
    args = parser.parse_args()
    import logging

    import structlog

    structlog.configure(wrapper_class=structlog.make_filtering_bound_logger(logging.WARNING))
    if args.scenario == "handler":
        asyncio.run(handler_only(args.complaints))
    else:
        asyncio.run(main(args.complaints, args.rate, args.batch, args.scenario))
