"""The common composition root of a service: builds the pool, applies migrations, starts the
outbox relay and the consumers in the background, and serves the FastAPI app with health
endpoints and problem+json errors. Nothing happens at import time."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator, Awaitable, Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Annotated, Any

import asyncpg
import structlog
import uvicorn
from fastapi import APIRouter, Depends, FastAPI, Request
from fastapi.responses import JSONResponse

from sigap_shared.consumer import DeadLetterPublisher, EventConsumer, Handler
from sigap_shared.db import apply_migrations, create_pool, package_migrations, shared_migrations
from sigap_shared.events import all_topics
from sigap_shared.housekeeping import ExpiringRows, run_housekeeping
from sigap_shared.http_limits import UNSTORABLE_INPUT_REFUSED, install_http_limits
from sigap_shared.kafka import ensure_topics_when_available, kafka_reachable
from sigap_shared.logging import configure_logging
from sigap_shared.metrics import CONSUMERS, READY, SampledGauge, install_metrics, sample_database
from sigap_shared.openapi import document_problems, serve_api_docs
from sigap_shared.outbox import OutboxRelay, parked_counts
from sigap_shared.problems import install_problem_handlers
from sigap_shared.progress import ProgressWatch
from sigap_shared.settings import ServiceSettings
from sigap_shared.staff_directory import staff_directory_for
from sigap_shared.tracing import configure_tracing, fastapi_telemetry, shutdown_tracing

log = structlog.get_logger(__name__)


@dataclass(frozen=True)
class ConsumerSpec:
    name: str
    topics: Sequence[str]
    handlers: dict[str, Handler]


@dataclass(frozen=True)
class ServiceSpec:
    """What makes one service different from another."""

    package: str  # e.g. "sigap_intake": where its migrations live
    title: str
    description: str
    routers: Sequence[APIRouter] = ()
    consumers: Sequence[ConsumerSpec] = ()
    publishes: bool = True
    # The service's own tables that housekeeping purges too, with retentions from its settings.
    expiring_rows: Callable[[ServiceSettings], Sequence[ExpiringRows]] | None = None
    # Exact paths allowed a larger request body than SIGAP_HTTP_MAX_BODY_BYTES (photo uploads).
    larger_bodies: Callable[[ServiceSettings], Mapping[str, int]] | None = None
    # Gauges sampled from the service's own database for /metrics.
    sampled_gauges: Sequence[SampledGauge] = ()
    # What the service's routes need besides a connection (its typed context), built once in
    # the lifespan after the runtime started; stored as `app.state.context`.
    context: Callable[[ServiceSettings, "Runtime"], contextlib.AbstractAsyncContextManager[Any]] | None = None


@dataclass
class Runtime:
    settings: ServiceSettings
    pool: asyncpg.Pool
    relay: OutboxRelay | None = None
    consumers: list[EventConsumer] = field(default_factory=list)
    dead_letters: DeadLetterPublisher | None = None
    tasks: list[asyncio.Task] = field(default_factory=list)
    progress: ProgressWatch = field(init=False)

    def __post_init__(self) -> None:
        self.progress = ProgressWatch(after_s=self.settings.stall_after_s)


async def get_runtime(request: Request) -> Runtime:
    return request.app.state.runtime


async def get_conn(request: Request) -> AsyncIterator[asyncpg.Connection]:
    async with request.app.state.runtime.pool.acquire() as conn:
        yield conn


Conn = Annotated[asyncpg.Connection, Depends(get_conn)]
CurrentRuntime = Annotated[Runtime, Depends(get_runtime)]


def _health_router(settings: ServiceSettings) -> APIRouter:
    router = APIRouter(tags=["health"])

    @router.get("/healthz", summary="Liveness: the process is up")
    async def healthz() -> dict[str, str]:
        return {"status": "ok", "service": settings.service_name}

    @router.get(
        "/readyz",
        summary="Readiness: database and Kafka are reachable, consumers and the outbox relay make progress",
    )
    async def readyz(runtime: CurrentRuntime) -> JSONResponse:
        checks: dict[str, str] = {}
        body: dict[str, object] = {}
        try:
            async with asyncio.timeout(3), runtime.pool.acquire() as conn:
                await conn.fetchval("SELECT 1")
                if runtime.relay is not None:
                    # Told, not judged: a refused row needs an operator, not a restart.
                    body["outbox"] = await parked_counts(conn=conn)
            checks["database"] = "ok"
        except Exception as exc:  # noqa: BLE001 - any failure means not ready
            checks["database"] = f"unavailable: {type(exc).__name__}"
        checks["kafka"] = "ok" if await kafka_reachable(settings.kafka_bootstrap) else "unavailable"
        for consumer in runtime.consumers:
            checks[f"consumer:{consumer.name}"] = "ok" if consumer.assigned.is_set() else "waiting_for_partitions"
        for check, reason in runtime.progress.check().items():
            checks[check] = reason or checks.get(check, "ok")
        ready = all(value == "ok" for value in checks.values())
        READY.labels(service=settings.service_name).set(1 if ready else 0)
        return JSONResponse(
            {"status": "ready" if ready else "not_ready", "service": settings.service_name, "checks": checks}
            | body,
            status_code=200 if ready else 503,
        )

    return router


async def start_runtime(settings: ServiceSettings, spec: ServiceSpec) -> Runtime:
    pool = await create_pool(
        settings.pg_connect_kwargs(), min_size=settings.pg_pool_min, max_size=settings.pg_pool_max
    )
    await apply_migrations(pool, [shared_migrations(), package_migrations(spec.package)])
    runtime = Runtime(settings=settings, pool=pool)
    topics_ready = asyncio.Event()

    async def ensure_topics() -> None:
        await ensure_topics_when_available(
            settings.kafka_bootstrap,
            [settings.kafka_topic_prefix + topic for topic in all_topics()],
            partitions=settings.kafka_topic_partitions,
            replication_factor=settings.kafka_replication_factor,
            min_insync_replicas=settings.kafka_min_insync_replicas,
        )
        topics_ready.set()

    runtime.tasks.append(asyncio.create_task(ensure_topics(), name="ensure-topics"))
    runtime.tasks.append(
        asyncio.create_task(
            run_housekeeping(
                pool=pool,
                outbox_retention_s=settings.outbox_retention_s,
                inbox_retention_s=settings.inbox_retention_s,
                expiring=spec.expiring_rows(settings) if spec.expiring_rows else (),
            ),
            name="housekeeping",
        )
    )
    if spec.publishes:
        runtime.relay = OutboxRelay(
            connect_kwargs=settings.pg_connect_kwargs(),
            bootstrap=settings.kafka_bootstrap,
            client_id=f"sigap-{settings.service_name}-relay",
            batch_size=settings.outbox_batch_size,
            poll_interval_s=settings.outbox_poll_interval_s,
            topic_prefix=settings.kafka_topic_prefix,
        )
        runtime.tasks.append(asyncio.create_task(runtime.relay.run(), name="outbox-relay"))
        runtime.progress.watch("outbox_relay", runtime.relay.stuck)
    if spec.consumers:
        runtime.dead_letters = DeadLetterPublisher(
            bootstrap=settings.kafka_bootstrap,
            source=f"sigap/{settings.service_name}",
            topic_prefix=settings.kafka_topic_prefix,
        )
        runtime.progress.watch("dead_letters", runtime.dead_letters.stuck)
    for consumer_spec in spec.consumers:
        consumer = EventConsumer(
            name=f"{settings.service_name}.{consumer_spec.name}",
            topics=[settings.kafka_topic_prefix + topic for topic in consumer_spec.topics],
            handlers=consumer_spec.handlers,
            pool=pool,
            bootstrap=settings.kafka_bootstrap,
            group_id=settings.consumer_group(consumer_spec.name),
            dead_letters=runtime.dead_letters,
            batch_size=settings.consumer_batch_size,
            max_attempts=settings.consumer_max_attempts,
            offset_reset=settings.kafka_offset_reset,
            commit_interval_s=settings.kafka_commit_interval_s,
        )
        runtime.consumers.append(consumer)
        CONSUMERS.track(consumer)
        runtime.progress.watch(f"consumer:{consumer.name}", consumer.stalled)
        runtime.tasks.append(
            asyncio.create_task(_run_after(topics_ready, consumer.run), name=f"consumer-{consumer_spec.name}")
        )
    runtime.tasks.append(asyncio.create_task(runtime.progress.run(), name="progress-watch"))
    runtime.tasks.append(
        asyncio.create_task(
            sample_database(
                pool=pool, service=settings.service_name, outbox=spec.publishes, gauges=spec.sampled_gauges
            ),
            name="metrics-sampler",
        )
    )
    log.info("service_started", port=settings.http_port)
    return runtime


async def _run_after(ready: asyncio.Event, run: Callable[[], Awaitable[None]]) -> None:
    # Subscribing before the topics exist would leave a consumer without partitions until its
    # next metadata refresh.
    await ready.wait()
    await run()


# How long shutdown waits for each step; an orchestrator kills a process that takes longer than
# its grace period (30 s in Kubernetes), so a step that hangs is logged and passed over instead.
STOP_STEP_TIMEOUT_S = 10.0


async def stop_runtime(runtime: Runtime, *, step_timeout_s: float = STOP_STEP_TIMEOUT_S) -> None:
    for task in runtime.tasks:
        task.cancel()
    if runtime.tasks:
        _, pending = await asyncio.wait(runtime.tasks, timeout=step_timeout_s)
        for task in pending:
            log.error("task_did_not_stop", task=task.get_name(), waiting_at=_task_stack(task))
    for consumer in runtime.consumers:
        CONSUMERS.forget(consumer)
    if runtime.dead_letters is not None:
        try:
            await asyncio.wait_for(runtime.dead_letters.close(), step_timeout_s)
        except TimeoutError:
            log.error("dead_letter_producer_did_not_stop")
    borrowed = runtime.pool.get_size() - runtime.pool.get_idle_size()
    try:
        # close() waits for every borrowed connection to come back; one held by a stuck task
        # would keep it waiting forever.
        await asyncio.wait_for(runtime.pool.close(), step_timeout_s)
    except TimeoutError:
        log.error("pool_did_not_close", borrowed=borrowed)
        runtime.pool.terminate()
    log.info("service_stopped")


def _task_stack(task: asyncio.Task) -> list[str]:
    return [f"{frame.f_code.co_filename}:{frame.f_lineno} {frame.f_code.co_name}" for frame in task.get_stack()]


def create_service_app(settings: ServiceSettings, spec: ServiceSpec) -> FastAPI:
    @contextlib.asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        app.state.runtime = await start_runtime(settings, spec)
        try:
            if spec.context is None:
                yield
            else:
                async with spec.context(settings, app.state.runtime) as context:
                    app.state.context = context
                    yield
        finally:
            await stop_runtime(app.state.runtime)
            await app.state.staff_directory.close()

    app = FastAPI(
        title=spec.title,
        description=spec.description,
        version="0.1.0",
        lifespan=lifespan,
        dependencies=[UNSTORABLE_INPUT_REFUSED],
        telemetry=fastapi_telemetry(),
        docs_url=None,
        redoc_url=None,
    )
    app.state.settings = settings
    app.state.staff_directory = staff_directory_for(settings)
    install_problem_handlers(app)
    install_http_limits(
        app,
        max_body_bytes=settings.http_max_body_bytes,
        larger_bodies=spec.larger_bodies(settings) if spec.larger_bodies else None,
    )
    document_problems(app)
    serve_api_docs(app)
    app.include_router(_health_router(settings))
    install_metrics(app)
    for router in spec.routers:
        app.include_router(router)
    return app


def server_options(settings: ServiceSettings) -> dict[str, Any]:
    """How uvicorn serves a service. Forwarded headers are honoured only from the configured
    proxies: uvicorn's own default believes any loopback client (and reads the environment's
    FORWARDED_ALLOW_IPS), which would let a client on the host rotate its apparent address."""
    trusted = [part.strip() for part in settings.forwarded_allow_ips.split(",") if part.strip()]
    return {
        "host": settings.http_host,
        "port": settings.http_port,
        "log_config": None,
        "access_log": False,
        "timeout_graceful_shutdown": 10,
        "proxy_headers": bool(trusted),
        "forwarded_allow_ips": trusted,
    }


def run_app(settings: ServiceSettings, build_app: Callable[[ServiceSettings], FastAPI]) -> None:
    """Configure logging once, build the app and serve it until SIGTERM/SIGINT."""
    configure_logging(
        service=settings.service_name, fmt=settings.effective_log_format, level=settings.log_level
    )
    configure_tracing(service=settings.service_name, endpoint=settings.otlp_endpoint)
    try:
        uvicorn.run(build_app(settings), **server_options(settings))
    finally:
        shutdown_tracing()


def serve(settings_factory: Callable[[], ServiceSettings], spec: ServiceSpec) -> None:
    """Entrypoint body of a service whose app is exactly its `ServiceSpec`."""
    run_app(settings_factory(), lambda settings: create_service_app(settings, spec))
