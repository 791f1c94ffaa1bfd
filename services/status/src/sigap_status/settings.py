"""Status's settings (env prefix SIGAP_)."""

from __future__ import annotations

from pydantic_settings import NoDecode
from pydantic import SecretStr, field_validator, model_validator
from typing import Annotated, Literal

from sigap_shared.settings import ServiceSettings

# The same development default intake accepts; production refuses it on both sides.
DEVELOPMENT_INTERNAL_TOKEN = "sigap-development-internal-token-change-me"


class StatusSettings(ServiceSettings):
    service_name: str = "status"
    http_port: int = 8002
    pg_database: str = "sigap_status"

    refresh_ttl_s: int = 14 * 24 * 3600
    # Working-day SLAs: defaults per LAPOR! practice, overrides per category as
    # "category:verify_days:finish_days,...", the `holidays` categories of national days off
    # (public holidays and the cuti bersama filed under `government`), and the city's own
    # days off as ISO dates.
    sla_verify_days: int = 3
    sla_finish_days: int = 5
    sla_category_days: Annotated[dict[str, tuple[int, int]], NoDecode] = {}
    sla_holiday_categories: Annotated[tuple[Literal["public", "government"], ...], NoDecode] = (
        "public",
        "government",
    )
    sla_extra_days_off: Annotated[tuple[str, ...], NoDecode] = ()
    sla_sweep_interval_s: float = 60.0
    # Open complaints of the same category within this distance are suggested as duplicates.
    duplicate_distance_m: float = 150.0

    # Intake's internal API (services/status/INTAKE_CONTRACT.md): live after-photos and the
    # audited reveal of confidential identities. Required in production; in development and
    # tests without it, after-photos are accepted unchecked (with a warning) and identities
    # cannot be revealed (503).
    intake_internal_url: str | None = None
    internal_token: SecretStr = SecretStr(DEVELOPMENT_INTERNAL_TOKEN)  # SIGAP_INTERNAL_TOKEN, as intake expects
    intake_timeout_s: float = 5.0

    # Failed staff logins: after this many within the window, further attempts for that
    # username (or from that client address) are refused until the window has passed.
    login_max_failures_per_username: int = 5
    login_max_failures_per_ip: int = 30
    login_failure_window_s: int = 15 * 60

    @model_validator(mode="after")
    def _intake_required_in_production(self) -> "StatusSettings":
        if self.environment == "production":
            if not self.intake_internal_url:
                raise ValueError(
                    "SIGAP_INTAKE_INTERNAL_URL is required in production: finishing a complaint checks its "
                    "after-photos at intake, and confidential identities are revealed only through intake"
                )
            if self.internal_token.get_secret_value() == DEVELOPMENT_INTERNAL_TOKEN:
                raise ValueError(
                    "SIGAP_INTERNAL_TOKEN still has the development default; set the secret intake expects in production"
                )
        return self

    @field_validator("sla_category_days", mode="before")
    @classmethod
    def _parse_category_days(cls, value: object) -> object:
        if not isinstance(value, str):
            return value
        parsed: dict[str, tuple[int, int]] = {}
        for item in filter(None, (part.strip() for part in value.split(","))):
            category, verify, finish = item.split(":")
            parsed[category] = (int(verify), int(finish))
        return parsed

    @field_validator("sla_extra_days_off", "sla_holiday_categories", mode="before")
    @classmethod
    def _parse_comma_list(cls, value: object) -> object:
        if isinstance(value, str):
            return tuple(part.strip() for part in value.split(",") if part.strip())
        return value
