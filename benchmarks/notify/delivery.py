"""Benchmark of notify's delivery path against the real PostgreSQL, with a real SMTP server
and a real webhook receiver in a separate process (so their CPU is not counted as notify's).

For each complaint, a `ComplaintRouted` and a `ComplaintStatusChanged` are handled as the
consumer does (batches in one transaction). With everything on (`--scenario full`) that
records 5 deliveries: dashboard, staff email, reporter email and one webhook per event; with
`--scenario lean` (no webhook registered, no staff email address: the default set-up) it
records the dashboard delivery and the reporter email. Both queue 2 department-topic copies
in the outbox, which the real outbox relay publishes to the real Kafka. Reported: CPU per
complaint of the notify process (handler + dispatcher + relay), throughput, and latency from
the handler's commit to the webhook receiver (full) or to the dashboard push (lean).

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

from sigap_notify import handlers, repository
from sigap_notify.bootstrap import build_channels, build_resolver, new_http_session
from sigap_notify.channels import DashboardHub
from sigap_notify.dispatcher import Dispatcher
from sigap_notify.sealing import SecretBox
from sigap_notify.settings import NotifySettings
from sigap_shared.db import apply_migrations, package_migrations, shared_migrations
from sigap_shared.events import ComplaintRouted, ComplaintStatusChanged, Envelope, ReporterRef
from sigap_shared.outbox import OutboxRelay

PG = {"host": "127.0.0.1", "port": 55432, "user": "sigap", "password": "sigap"}


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


def _events(department: str) -> tuple[Envelope, Envelope, str]:
    complaint_id = uuid.uuid4()
    code = "SGP-" + uuid.uuid4().hex[:4].upper() + "-" + uuid.uuid4().hex[:2].upper()
    pseudonym = "Pelapor-" + uuid.uuid4().hex[:8].upper()
    reporter = ReporterRef(pseudonym=pseudonym, channels=("email",))
    now = datetime.now(UTC)
    routed = Envelope(
        source="sigap/routing",
        data=ComplaintRouted(
            complaint_id=complaint_id,
            tracking_code=code,
            department=department,
            confidence=0.9,
            needs_triage=False,
            reporter=reporter,
            routed_at=now,
        ),
    )
    changed = Envelope(
        source="sigap/status",
        data=ComplaintStatusChanged(
            complaint_id=complaint_id,
            tracking_code=code,
            department=department,
            status="diterima",
            actor="sistem",
            reporter=reporter,
            changed_at=now,
        ),
    )
    return routed, changed, code


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
                await repository.set_department_emails(
                    conn=conn, department=department, emails=["antrean@bench.example"]
                )
                webhook_id = uuid.uuid4()
                await repository.create_webhook(
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
                await repository.upsert_subscription(
                    conn=conn,
                    subscription_id=uuid.uuid4(),
                    tracking_code=code,
                    complaint_id=uuid.uuid4(),
                    channel="email",
                    address="warga@bench.example",
                    language="id",
                )

        http = new_http_session(settings)
        hub = DashboardHub()
        dispatcher = Dispatcher(
            pool=pool,
            connect_kwargs=settings.pg_connect_kwargs(),
            channels=build_channels(
                settings, pool=pool, hub=hub, http=http, resolver=build_resolver(settings, pool, http)
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

        committed: dict[str, float] = {}
        cpu0, wall0 = time.process_time(), time.perf_counter()
        interval = batch / rate
        next_at = time.perf_counter()
        for start in range(0, complaints, batch):
            chunk = pairs[start : start + batch]
            async with pool.acquire() as conn, conn.transaction():
                for routed, changed, _ in chunk:
                    await handlers.on_complaint_event(conn=conn, envelope=routed)
                    await handlers.on_complaint_event(conn=conn, envelope=changed)
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
        for task in (dispatch_task, relay_task, watcher):
            task.cancel()
        await asyncio.gather(dispatch_task, relay_task, watcher, return_exceptions=True)
        await http.close()
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
        wall0, cpu0 = time.perf_counter(), time.process_time()
        for start in range(0, complaints, 250):
            async with pool.acquire() as conn, conn.transaction():
                for routed, changed, _ in pairs[start : start + 250]:
                    await handlers.on_complaint_event(conn=conn, envelope=routed)
                    await handlers.on_complaint_event(conn=conn, envelope=changed)
        wall, cpu = time.perf_counter() - wall0, time.process_time() - cpu0
        print("notify handler benchmark (consumer side only)")
        print(f"  complaints                 {complaints} (2 events each)")
        print(
            f"  throughput                 {complaints / wall:.0f} complaints/s, "
            f"{wall * 1e6 / (2 * complaints):.0f} us/event"
        )
        print(f"  CPU                        {cpu * 1000 / complaints:.2f} CPU-ms/complaint (notify process)")
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
