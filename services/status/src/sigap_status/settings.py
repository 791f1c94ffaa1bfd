"""Status's settings (env prefix SIGAP_)."""

from __future__ import annotations

from pydantic_settings import NoDecode
from pydantic import field_validator
from typing import Annotated

from sigap_shared.settings import ServiceSettings


class StatusSettings(ServiceSettings):
    service_name: str = "status"
    http_port: int = 8002
    pg_database: str = "sigap_status"

    refresh_ttl_s: int = 14 * 24 * 3600
    # Working-day SLAs: defaults per LAPOR! practice, overrides per category as
    # "category:verify_days:finish_days,...", and the city's own days off as ISO dates.
    sla_verify_days: int = 3
    sla_finish_days: int = 5
    sla_category_days: Annotated[dict[str, tuple[int, int]], NoDecode] = {}
    sla_extra_days_off: Annotated[tuple[str, ...], NoDecode] = ()
    sla_sweep_interval_s: float = 60.0
    # Open complaints of the same category within this distance are suggested as duplicates.
    duplicate_distance_m: float = 150.0

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

    @field_validator("sla_extra_days_off", mode="before")
    @classmethod
    def _parse_days_off(cls, value: object) -> object:
        if isinstance(value, str):
            return tuple(part.strip() for part in value.split(",") if part.strip())
        return value
