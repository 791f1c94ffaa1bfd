"""What status's routes and consumers need besides a connection, built once per process from
the settings: the SLA policy, the login limits and token settings, and the client for intake's
internal API. `status_context` builds it in the lifespan (and runs the SLA sweep beside it);
routes take it, or a part of it, through the `Annotated` dependencies below."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator
from dataclasses import dataclass
from typing import Annotated

import structlog
from fastapi import Depends, Request

from sigap_shared.runtime import Runtime
from sigap_status.auth.rules import LoginLimits
from sigap_status.intake.client import IntakeClient, new_http_session
from sigap_status.lapor.rules import LaporPolicy
from sigap_status.settings import StatusSettings
from sigap_status.sla.rules import SlaPolicy, WorkingCalendar, parse_extra_days
from sigap_status.sla.sweep import run_sla_sweep
from sigap_status.escalation.rules import EscalationPolicy, parse_ladder, parse_overrides
from sigap_status.escalation.sweep import Escalation

log = structlog.get_logger(__name__)


@dataclass(frozen=True, slots=True)
class TokenSettings:
    """How staff access and refresh tokens are signed and how long they last."""

    secret: str
    access_ttl_s: int
    refresh_ttl_s: int


@dataclass(frozen=True, slots=True)
class StatusContext:
    settings: StatusSettings
    sla_policy: SlaPolicy
    login_limits: LoginLimits
    tokens: TokenSettings
    # None when no intake URL is configured (production refuses that; development and tests
    # then accept after-photos unchecked and cannot reveal identities).
    intake: IntakeClient | None
    lapor_policy: LaporPolicy


def lapor_policy_from_settings(settings: StatusSettings, policy: SlaPolicy) -> LaporPolicy:
    return LaporPolicy(
        calendar=policy.calendar,
        verify_days=settings.lapor_verify_days,
        follow_up_days=settings.lapor_follow_up_days,
        close_days=settings.lapor_close_days,
    )


def sla_policy_from_settings(settings: StatusSettings) -> SlaPolicy:
    return SlaPolicy(
        calendar=WorkingCalendar(
            extra_days_off=parse_extra_days(settings.sla_extra_days_off),
            holiday_categories=tuple(settings.sla_holiday_categories),
            zone=settings.city_zone,
        ),
        verify_days=settings.sla_verify_days,
        finish_days=settings.sla_finish_days,
        per_category=dict(settings.sla_category_days),
    )


def escalation_policy_from_settings(settings: StatusSettings) -> EscalationPolicy:
    return EscalationPolicy(
        default=parse_ladder(settings.escalation_ladder), overrides=parse_overrides(settings.escalation_overrides)
    )


def build_context(settings: StatusSettings, *, policy: SlaPolicy, intake: IntakeClient | None) -> StatusContext:
    return StatusContext(
        settings=settings,
        sla_policy=policy,
        login_limits=LoginLimits(
            max_per_username=settings.login_max_failures_per_username,
            max_per_ip=settings.login_max_failures_per_ip,
            window_s=settings.login_failure_window_s,
        ),
        tokens=TokenSettings(
            secret=settings.jwt_secret.get_secret_value(),
            access_ttl_s=settings.jwt_access_ttl_s,
            refresh_ttl_s=settings.refresh_ttl_s,
        ),
        intake=intake,
        lapor_policy=lapor_policy_from_settings(settings, policy),
    )


@contextlib.asynccontextmanager
async def intake_client(settings: StatusSettings) -> AsyncIterator[IntakeClient | None]:
    if not settings.intake_internal_url:
        log.warning("intake_internal_url_not_set", effect="after_photos_unchecked_and_identities_unavailable")
        yield None
        return
    async with new_http_session(timeout_s=settings.intake_timeout_s) as session:
        yield IntakeClient(
            base_url=settings.intake_internal_url,
            token=settings.internal_token.get_secret_value(),
            session=session,
        )


@contextlib.asynccontextmanager
async def status_context(
    settings: StatusSettings, runtime: Runtime, *, policy: SlaPolicy
) -> AsyncIterator[StatusContext]:
    """The context for the app's lifetime, with the SLA sweep running beside it."""
    async with intake_client(settings) as intake:
        sweep = asyncio.create_task(
            run_sla_sweep(
                runtime.pool,
                interval_s=settings.sla_sweep_interval_s,
                escalation=Escalation(policy=escalation_policy_from_settings(settings), calendar=policy.calendar),
                lapor=lapor_policy_from_settings(settings, policy),
            ),
            name="sla-sweep",
        )
        try:
            yield build_context(settings, policy=policy, intake=intake)
        finally:
            sweep.cancel()
            await asyncio.gather(sweep, return_exceptions=True)


async def get_context(request: Request) -> StatusContext:
    return request.app.state.context


Context = Annotated[StatusContext, Depends(get_context)]


async def get_policy(context: Context) -> SlaPolicy:
    return context.sla_policy


async def get_intake(context: Context) -> IntakeClient | None:
    return context.intake


async def get_lapor_policy(context: Context) -> LaporPolicy:
    return context.lapor_policy


Policy = Annotated[SlaPolicy, Depends(get_policy)]
Lapor = Annotated[LaporPolicy, Depends(get_lapor_policy)]
Intake = Annotated[IntakeClient | None, Depends(get_intake)]
