"""CPU and database cost of routing one `ComplaintSubmitted` the way the service does: the
shared consumer's batch path (decode the CloudEvent, claim it in the inbox, run routing's
handler, all of a poll in one transaction) against a fresh database of the real PostgreSQL.

    uv run python -m benchmarks.routing.handler [--complaints 5000] [--batch 500] [--log-level INFO]

Needs PostgreSQL running (`deploy/infra.sh up`); Kafka is not used: the messages are encoded
beforehand exactly as the intake's outbox relay would publish them, so only what routing pays
per complaint is measured (not the broker, not the outbox relay that publishes afterwards).
Complaints are the labelled development set's texts, cycled, each at a point inside a
kelurahan. Creates a database `sigap_bench_routing_*` and drops it at the end.

Reports, per complaint: this process's CPU time, the database backend's CPU time, statements
sent (each one a round trip), and from `pg_stat_database` transactions and rows written/read.
PostgreSQL 15 publishes an idle backend's statistics up to 10 s late, so the counters are read
after `--settle-s` seconds of quiet at the start and at the end."""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import os
import sys
import time
import uuid
import zlib
from collections.abc import AsyncIterator
from datetime import UTC, datetime

import asyncpg
from aiokafka import ConsumerRecord

from benchmarks.routing.accuracy import SPLITS, load_examples
from sigap_routing.engine import RoutingEngine
from sigap_routing.geography import Geography
from sigap_routing.events.handlers import complaint_submitted_handler
from sigap_shared.consumer import DeadLetterPublisher, EventConsumer
from sigap_shared.db import apply_migrations, create_pool, package_migrations, shared_migrations
from sigap_shared.events import ComplaintSubmitted, Envelope, GeoPoint, ReporterRef, encode
from sigap_shared.logging import configure_logging
from tests.support.infra import Infra, local_infra, random_name

CONSUMER = "routing.submitted"
_CLOCK_TICKS = os.sysconf("SC_CLK_TCK")


class CountingPool:
    """The pool as the consumer sees it, counting the statements sent on each acquired
    connection (asyncpg's query logger is cleared when a connection goes back to the pool)."""

    def __init__(self, pool: asyncpg.Pool) -> None:
        self._pool = pool
        self.counting = False
        self.statements = 0

    def _count(self, _query: object) -> None:
        self.statements += 1

    @contextlib.asynccontextmanager
    async def acquire(self) -> AsyncIterator[asyncpg.Connection]:
        async with self._pool.acquire() as conn:
            if self.counting:
                conn.add_query_logger(self._count)
            yield conn


def _messages(count: int, geography: Geography) -> list[ConsumerRecord]:
    examples = [example for split in SPLITS for example in load_examples(split)]
    points = []
    for example in examples:
        polygon = geography.polygons[zlib.crc32(example.text.encode()) % len(geography.polygons)]
        point = polygon.representative_point()
        points.append(GeoPoint(lat=point.y, lon=point.x))
    messages = []
    for offset in range(count):
        example = examples[offset % len(examples)]
        complaint_id = uuid.uuid4()
        record = encode(
            Envelope(
                source="sigap/intake",
                correlation_id=str(uuid.uuid4()),
                data=ComplaintSubmitted(
                    complaint_id=complaint_id,
                    tracking_code=f"SGP-{complaint_id.hex[:4].upper()}-{complaint_id.hex[4:6].upper()}",
                    kind="pengaduan",
                    description=example.text,
                    category=example.category,
                    location=points[offset % len(points)],
                    privacy="publik",
                    reporter=ReporterRef(pseudonym=f"Pelapor-{complaint_id.hex[:6].upper()}", channels=("email",)),
                    submitted_at=datetime.now(UTC),
                ),
            )
        )
        messages.append(
            ConsumerRecord(
                topic=record.topic,
                partition=0,
                offset=offset,
                timestamp=0,
                timestamp_type=0,
                key=record.key,
                value=record.value,
                checksum=None,
                serialized_key_size=len(record.key),
                serialized_value_size=len(record.value),
                headers=record.headers,
            )
        )
    return messages


async def _backend_cpu_s(admin: asyncpg.Connection, database: str) -> float:
    """CPU time of every backend of `database` so far (PostgreSQL runs on this machine)."""
    total = 0.0
    for row in await admin.fetch("SELECT pid FROM pg_stat_activity WHERE datname = $1", database):
        with contextlib.suppress(OSError):
            with open(f"/proc/{row['pid']}/stat", encoding="ascii") as stat:
                fields = stat.read().rsplit(")", 1)[1].split()
            total += (int(fields[11]) + int(fields[12])) / _CLOCK_TICKS
    return total


async def _activity(admin: asyncpg.Connection, database: str) -> dict[str, int]:
    row = await admin.fetchrow(
        "SELECT xact_commit, xact_rollback, tup_inserted, tup_updated, tup_deleted, tup_returned, tup_fetched"
        " FROM pg_stat_database WHERE datname = $1",
        database,
    )
    assert row is not None
    return {key: int(value) for key, value in row.items()}


async def run(args: argparse.Namespace, infra: Infra) -> None:
    admin = await asyncpg.connect(**infra.pg_kwargs("postgres"))
    database = random_name("sigap_bench_routing")
    await admin.execute(f'CREATE DATABASE "{database}"')
    try:
        pool = await create_pool(infra.pg_kwargs(database), min_size=1, max_size=1)
        try:
            await apply_migrations(pool, [shared_migrations(), package_migrations("sigap_routing")])
            geography = Geography.depok()
            engine = RoutingEngine(geography=geography, refresh_s=1.0)
            counting = CountingPool(pool)
            consumer = EventConsumer(
                name=CONSUMER,
                topics=[],
                handlers={ComplaintSubmitted.event_type: complaint_submitted_handler(engine)},
                pool=counting,  # type: ignore[arg-type]
                bootstrap=infra.kafka_bootstrap,
                group_id="bench-routing",
                dead_letters=DeadLetterPublisher(bootstrap=infra.kafka_bootstrap, source="sigap/bench"),
                batch_size=args.batch,
            )
            warmup = _messages(args.batch, geography)
            messages = _messages(args.complaints, geography)
            batches = [messages[i : i + args.batch] for i in range(0, len(messages), args.batch)]
            await consumer._process(warmup)  # taxonomy seeded and compiled, statements prepared, stems cached

            # Statements per complaint, on a separate pass (the counting itself costs a little CPU).
            counting.counting = True
            counted = _messages(args.batch, geography)
            await consumer._process(counted)
            await asyncio.sleep(0)  # asyncpg reports each query with call_soon
            statements = counting.statements / len(counted)
            counting.counting = False

            await asyncio.sleep(args.settle_s)
            before = await _activity(admin, database)
            backend_before = await _backend_cpu_s(admin, database)
            cpu_before, wall_before = time.process_time(), time.perf_counter()
            for batch in batches:
                await consumer._process(batch)
            cpu = time.process_time() - cpu_before
            wall = time.perf_counter() - wall_before
            backend = await _backend_cpu_s(admin, database) - backend_before
            await asyncio.sleep(args.settle_s)
            after = await _activity(admin, database)
            routed = await pool.fetchval("SELECT count(*) FROM routing_decisions")
            outbox = await pool.fetchval("SELECT count(*) FROM outbox")
        finally:
            await pool.close()
    finally:
        await admin.execute(f'DROP DATABASE IF EXISTS "{database}" WITH (FORCE)')
        await admin.close()

    expected = len(warmup) + len(counted) + len(messages)
    if consumer.handled != expected or routed != expected or outbox != expected:
        raise SystemExit(
            f"expected {expected} decisions, got {routed} ({outbox} outbox rows, {consumer.handled} handled)"
        )
    n = len(messages)
    delta = {key: after[key] - before[key] for key in after}
    transactions = (delta["xact_commit"] + delta["xact_rollback"]) / len(batches)
    print("Routing consumer path (decode, inbox claim, decide, record, outbox), real PostgreSQL")
    print(f"  complaints: {n} in batches of {args.batch}, log level {args.log_level}")
    print(f"  wall time:                  {wall:.2f} s ({n / wall:.0f} complaints/s)")
    print(f"  routing process CPU:        {cpu * 1000 / n:.3f} CPU-ms per complaint")
    print(f"  PostgreSQL backend CPU:     {backend * 1000 / n:.3f} CPU-ms per complaint")
    print(f"  statements (round trips):   {statements:.2f} per complaint")
    print(f"  transactions:               {transactions:.2f} per batch")
    print(f"  rows inserted:              {delta['tup_inserted'] / n:.2f} per complaint")
    print(f"  rows updated:               {delta['tup_updated'] / n:.2f} per complaint")
    print(f"  rows read (returned+fetched): {(delta['tup_returned'] + delta['tup_fetched']) / n:.1f} per complaint")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--complaints", type=int, default=5000)
    parser.add_argument("--batch", type=int, default=500, help="messages per poll (the service's consumer_batch_size)")
    parser.add_argument("--log-level", default="INFO", help="the service's SIGAP_LOG_LEVEL; JSON lines go to stderr")
    parser.add_argument("--settle-s", type=float, default=11.0, help="quiet time before reading pg_stat_database")
    args = parser.parse_args()
    configure_logging(service="routing", fmt="json", level=args.log_level)
    with local_infra() as infra:
        asyncio.run(run(args, infra))


if __name__ == "__main__":
    sys.exit(main())
