"""What intake's routes need, built once per process in the lifespan from the settings: the
pool, the sealer for data at rest, the capture-token signer, the photo store, the photo policy,
the rate limiters and the HTTP client asking the other services about a reporter."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import timedelta
from typing import Annotated

import asyncpg
from fastapi import Depends, Request

from sigap_intake.capture.purge import PurgePolicy, run_purge
from sigap_intake.capture.tokens import CaptureTokens
from sigap_intake.complaints.department_names import DepartmentNames
from sigap_intake.photos.checks import PhotoPolicy, parse_offset
from sigap_intake.photos.content_credentials import read_trust_anchors
from sigap_intake.photos.storage import PhotoStore, photo_store_from_settings
from sigap_intake.privacy.elsewhere import HeldElsewhere, open_held_elsewhere
from sigap_intake.privacy.retention import run_retention
from sigap_intake.rate_limit import RateLimiter
from sigap_intake.sealing import Sealer
from sigap_intake.settings import IntakeSettings
from sigap_shared.runtime import Runtime


@dataclass(frozen=True)
class IntakeContext:
    settings: IntakeSettings
    pool: asyncpg.Pool
    sealer: Sealer
    capture_tokens: CaptureTokens
    photo_store: PhotoStore
    policy: PhotoPolicy
    # Shared by every replica through intake's database.
    device_limiter: RateLimiter
    ip_limiter: RateLimiter
    # Guessing follow-up tokens for one tracking code through the internal API stays slow.
    verify_limiter: RateLimiter
    # What status, notify and routing hold about a reporter, for an access answer or an
    # erasure; its HTTP client is opened and closed by `open_context`.
    held_elsewhere: HeldElsewhere
    # None without SIGAP_ROUTING_URL: tracking then names departments by code only.
    department_names: DepartmentNames | None = None

    @classmethod
    def from_settings(
        cls, settings: IntakeSettings, *, pool: asyncpg.Pool, held_elsewhere: HeldElsewhere
    ) -> "IntakeContext":
        secret = settings.jwt_secret.get_secret_value().encode()
        return cls(
            settings=settings,
            pool=pool,
            sealer=Sealer(settings.identity_key_bytes),
            capture_tokens=CaptureTokens(secret=settings.jwt_secret.get_secret_value().encode()),
            photo_store=photo_store_from_settings(settings),
            policy=policy_from_settings(settings),
            device_limiter=RateLimiter(
                pool,
                scope="device",
                per_minute=settings.rate_limit_per_minute,
                burst=settings.rate_limit_burst,
                secret=secret,
            ),
            ip_limiter=RateLimiter(
                pool,
                scope="ip",
                per_minute=settings.rate_limit_per_minute * settings.rate_limit_ip_factor,
                burst=settings.rate_limit_burst * settings.rate_limit_ip_factor,
                secret=secret,
            ),
            verify_limiter=RateLimiter(pool, scope="verify", per_minute=10, burst=10, secret=secret),
            held_elsewhere=held_elsewhere,
            department_names=DepartmentNames(settings.routing_url) if settings.routing_url else None,
        )


def policy_from_settings(settings: IntakeSettings) -> PhotoPolicy:
    return PhotoPolicy(
        min_photos=settings.min_photos,
        max_photos=settings.max_photos,
        max_bytes=settings.photo_max_bytes,
        max_pixels=settings.photo_max_pixels,
        session_ttl=timedelta(seconds=settings.capture_session_ttl_s),
        clock_skew=timedelta(seconds=settings.capture_clock_skew_s),
        old_after=timedelta(seconds=settings.photo_old_after_s),
        default_offset=parse_offset(settings.default_utc_offset) if settings.default_utc_offset else settings.city_zone,
        gps_max_distance_m=settings.photo_gps_max_distance_m,
        reuse_max_distance=settings.photo_reuse_max_distance,
        reuse_views=settings.photo_reuse_views,
        reuse_keys=settings.photo_reuse_keys,
        reject_reasons={category: tuple(codes) for category, codes in settings.photo_reject_reasons.items()},
        c2pa_trust_anchors=read_trust_anchors(settings.c2pa_trust_anchors) if settings.c2pa_trust_anchors else None,
    )


def purge_policy_from_settings(settings: IntakeSettings) -> PurgePolicy:
    return PurgePolicy(
        unused_session_grace=timedelta(seconds=settings.capture_unused_session_grace_s),
        rejected_keep=timedelta(seconds=settings.photo_rejected_keep_s),
    )


@contextlib.asynccontextmanager
async def open_context(settings: IntakeSettings, runtime: Runtime) -> AsyncIterator[IntakeContext]:
    """`ServiceSpec.context` of intake: run in the lifespan once the runtime's pool exists,
    with the purge of capture leftovers and the personal-data retention job running beside it;
    the HTTP client to the other services closes after them."""
    async with open_held_elsewhere(
        services={
            "status": settings.status_internal_url,
            "notify": settings.notify_internal_url,
            "routing": settings.routing_url,
        },
        token=settings.internal_token.get_secret_value(),
    ) as held_elsewhere:
        context = IntakeContext.from_settings(settings, pool=runtime.pool, held_elsewhere=held_elsewhere)
        async with _background_jobs(settings, runtime, context):
            yield context


@contextlib.asynccontextmanager
async def _background_jobs(settings: IntakeSettings, runtime: Runtime, context: IntakeContext) -> AsyncIterator[None]:
    """The purge and the retention job, stopped (and awaited) when the block ends."""
    background = [
        asyncio.create_task(
            run_purge(
                pool=runtime.pool,
                store=context.photo_store,
                policy=purge_policy_from_settings(settings),
                interval_s=settings.capture_purge_interval_s,
            ),
            name="capture-purge",
        ),
        asyncio.create_task(
            run_retention(
                pool=runtime.pool,
                store=context.photo_store,
                elsewhere=context.held_elsewhere,
                retention_days=settings.personal_data_retention_days,
                every_s=settings.personal_data_retention_every_s,
            ),
            name="personal-data-retention",
        ),
    ]
    try:
        yield
    finally:
        for task in background:
            task.cancel()
        await asyncio.gather(*background, return_exceptions=True)


async def get_context(request: Request) -> IntakeContext:
    return request.app.state.context


Context = Annotated[IntakeContext, Depends(get_context)]
