"""Prometheus metrics every service exposes at /metrics: HTTP requests by route template and
status with latency histograms, each Kafka consumer's events handled, failures, dead letters
and lag, the outbox backlog and the age of its oldest unsent row, readiness, and gauges a
service samples from its own database (status: complaints past their SLA per department).

Label values are bounded: route templates (never a path with ids in it), methods, status
codes, consumer names, departments; never a complaint id. Metric names are listed with their
meaning in docs/metrics.md. Services add their own counters to the same default registry in
their `metrics` module (photo verdicts, routing decisions, notification deliveries)."""

from __future__ import annotations

import asyncio
import time
import weakref
from collections.abc import Awaitable, Callable, Iterable, Sequence
from dataclasses import dataclass
from typing import Any

import asyncpg
import structlog
from fastapi import APIRouter, FastAPI
from fastapi.responses import Response
from prometheus_client import (
    CONTENT_TYPE_LATEST,
    REGISTRY,
    Counter,
    Gauge,
    Histogram,
    generate_latest,
)
from prometheus_client.core import CounterMetricFamily, GaugeMetricFamily
from prometheus_client.registry import Collector
from starlette.types import ASGIApp, Message, Receive, Scope, Send

log = structlog.get_logger(__name__)

HTTP_REQUESTS = Counter(
    "sigap_http_requests_total",
    "HTTP requests answered, by method, route template and status code.",
    ["method", "route", "status"],
)
HTTP_DURATION = Histogram(
    "sigap_http_request_duration_seconds",
    "Time from a request's arrival to the end of its response, by method and route template "
    "(event streams are not timed).",
    ["method", "route"],
    buckets=(0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0),
)
READY = Gauge(
    "sigap_ready",
    "1 when the service's last /readyz answer was ready (database, Kafka, consumers, outbox), else 0.",
    ["service"],
)
OUTBOX_BACKLOG = Gauge(
    "sigap_outbox_backlog_events",
    "Outbox rows written but not yet published to Kafka (parked rows not counted).",
    ["service"],
)
OUTBOX_OLDEST_AGE = Gauge(
    "sigap_outbox_oldest_unsent_age_seconds",
    "Age of the oldest outbox row not yet published (0 when none waits).",
    ["service"],
)
OUTBOX_PARKED = Gauge(
    "sigap_outbox_parked_events",
    "Outbox rows Kafka refused for what they are, set aside for an operator.",
    ["service"],
)

_METHODS = frozenset({"GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"})
UNMATCHED_ROUTE = "unmatched"


def _route_of(scope: Scope) -> str:
    route = scope.get("route")
    path = getattr(route, "path", None)
    return path if isinstance(path, str) else UNMATCHED_ROUTE


class HttpMetricsMiddleware:
    """Counts and times every HTTP request by the template of the route that answered it
    (`/v1/complaints/{complaint_id}`), so a label never holds an id."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        started = time.perf_counter()
        status = 500  # what the client sees when the app fails before answering
        streaming = False

        async def observed_send(message: Message) -> None:
            nonlocal status, streaming
            if message["type"] == "http.response.start":
                status = message["status"]
                headers = dict(message.get("headers") or ())
                streaming = headers.get(b"content-type", b"").startswith(b"text/event-stream")
            await send(message)

        try:
            await self.app(scope, receive, observed_send)
        finally:
            method = scope["method"] if scope["method"] in _METHODS else "other"
            route = _route_of(scope)
            HTTP_REQUESTS.labels(method=method, route=route, status=str(status)).inc()
            if not streaming:
                HTTP_DURATION.labels(method=method, route=route).observe(time.perf_counter() - started)


def metrics_router() -> APIRouter:
    router = APIRouter(tags=["health"])

    @router.get("/metrics", summary="Prometheus metrics (text exposition format)", include_in_schema=False)
    async def metrics() -> Response:
        return Response(generate_latest(REGISTRY), media_type=CONTENT_TYPE_LATEST)

    return router


def install_metrics(app: FastAPI) -> None:
    """/metrics and the HTTP request metrics, for any Sigap FastAPI app."""
    app.add_middleware(HttpMetricsMiddleware)
    app.include_router(metrics_router())


# -- Consumers ------------------------------------------------------------------------------


class _ConsumerCollector(Collector):
    """Reads the counters every live consumer keeps (`handled`, `failures`, `dead_lettered`,
    `lag`) when Prometheus scrapes, so the consumer loop does no extra work per message."""

    def __init__(self) -> None:
        self._consumers: weakref.WeakSet[Any] = weakref.WeakSet()

    def track(self, consumer: Any) -> None:
        self._consumers.add(consumer)

    def forget(self, consumer: Any) -> None:
        self._consumers.discard(consumer)

    def describe(self) -> Iterable[Any]:
        return self._families([])

    def collect(self) -> Iterable[Any]:
        return self._families(sorted(self._consumers, key=lambda consumer: consumer.name))

    @staticmethod
    def _families(consumers: Sequence[Any]) -> list[Any]:
        handled = CounterMetricFamily(
            "sigap_consumer_events_handled", "Events a consumer handled (duplicates not counted).", labels=["consumer"]
        )
        failures = CounterMetricFamily(
            "sigap_consumer_failures", "Handler attempts that failed (each is retried, then dead-lettered).", labels=["consumer"]
        )
        dead_letters = CounterMetricFamily(
            "sigap_consumer_dead_letters", "Events a consumer gave up on and sent to the dead-letter topic.", labels=["consumer"]
        )
        lag = GaugeMetricFamily(
            "sigap_consumer_lag_messages", "Messages waiting in the consumer's assigned partitions.", labels=["consumer"]
        )
        for consumer in consumers:
            handled.add_metric([consumer.name], consumer.handled)
            failures.add_metric([consumer.name], consumer.failures)
            dead_letters.add_metric([consumer.name], consumer.dead_lettered)
            lag.add_metric([consumer.name], consumer.lag)
        return [handled, failures, dead_letters, lag]


CONSUMERS = _ConsumerCollector()
REGISTRY.register(CONSUMERS)


# -- Gauges sampled from the database ---------------------------------------------------------


@dataclass(frozen=True)
class SampledGauge:
    """A gauge set from a query every few seconds: `query` returns rows of label values
    followed by the value; label sets a sample no longer returns drop to 0."""

    gauge: Gauge
    query: str


async def _sample_outbox(conn: asyncpg.Connection, service: str) -> None:
    row = await conn.fetchrow(
        "SELECT count(*) FILTER (WHERE parked_at IS NULL) AS waiting,"
        " count(*) FILTER (WHERE parked_at IS NOT NULL) AS parked,"
        " coalesce(extract(epoch FROM now() - min(created_at) FILTER (WHERE parked_at IS NULL)), 0) AS oldest_s"
        " FROM outbox WHERE sent_at IS NULL"
    )
    OUTBOX_BACKLOG.labels(service=service).set(row["waiting"])
    OUTBOX_PARKED.labels(service=service).set(row["parked"])
    OUTBOX_OLDEST_AGE.labels(service=service).set(float(row["oldest_s"]))


async def _sample_gauge(conn: asyncpg.Connection, sampled: SampledGauge, seen: dict[Gauge, set[tuple]]) -> None:
    rows = await conn.fetch(sampled.query)
    now = set()
    for row in rows:
        *labels, value = tuple(row)
        key = tuple(str(label) for label in labels)
        sampled.gauge.labels(*key).set(float(value))
        now.add(key)
    for gone in seen.get(sampled.gauge, set()) - now:
        sampled.gauge.labels(*gone).set(0)
    seen[sampled.gauge] = now


async def sample_database(
    *,
    pool: asyncpg.Pool,
    service: str,
    outbox: bool,
    gauges: Sequence[SampledGauge] = (),
    interval_s: float = 10.0,
    sleep: Callable[[float], Awaitable[None]] = asyncio.sleep,
) -> None:
    """Keeps the outbox gauges and the service's sampled gauges fresh until cancelled. A
    failed sample is logged and tried again; the gauges keep their last values meanwhile."""
    seen: dict[Gauge, set[tuple]] = {}
    while True:
        try:
            async with pool.acquire() as conn:
                if outbox:
                    await _sample_outbox(conn, service)
                for sampled in gauges:
                    await _sample_gauge(conn, sampled, seen)
        except asyncio.CancelledError:
            raise
        except Exception as exc:  # noqa: BLE001 - the next round tries again
            log.warning("metrics_sample_failed", error=repr(exc))
        await sleep(interval_s)
