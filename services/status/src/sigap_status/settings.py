"""Status's settings (env prefix SIGAP_)."""

from __future__ import annotations

from pydantic_settings import NoDecode
from pydantic import Field, SecretStr, field_validator, model_validator
from typing import Annotated, Literal

from sigap_shared.settings import ServiceSettings
from sigap_status.escalation.rules import parse_ladder, parse_overrides

# The same development default intake accepts; production refuses it on both sides.
DEVELOPMENT_INTERNAL_TOKEN = "sigap-development-internal-token-change-me"


class StatusSettings(ServiceSettings):
    service_name: str = "status"
    http_port: int = 8002
    pg_database: str = "sigap_status"

    refresh_ttl_s: int = 14 * 24 * 3600
    """status: how long a staff refresh token (a login) lasts"""
    # Working-day SLAs: defaults per LAPOR! practice, overrides per category as
    # "category:verify_days:finish_days,...", the `holidays` categories of national days off
    # (public holidays and the cuti bersama filed under `government`), and the city's own
    # days off as ISO dates.
    sla_verify_days: int = 3
    """status: working days to verify a complaint"""
    sla_finish_days: int = 5
    """status: working days to finish a complaint"""
    sla_category_days: Annotated[dict[str, tuple[int, int]], NoDecode] = {}
    """status: per-category overrides, `category:verify_days:finish_days` separated by commas (e.g.
    `banjir:1:2`)"""
    sla_holiday_categories: Annotated[tuple[Literal["public", "government"], ...], NoDecode] = (
        "public",
        "government",
    )
    """status: national days off from the `holidays` package: `public` holidays and the `government`'s
    joint leave days (cuti bersama), on which city offices close; separated by commas"""
    sla_extra_days_off: Annotated[tuple[str, ...], NoDecode] = ()
    """status: the city's own days off, ISO dates separated by commas (e.g. the city's anniversary)"""
    sla_sweep_interval_s: float = 60.0
    """status: how often overdue complaints are looked for (SLA breaches)"""
    # Escalation ladders (docs/governance.md): steps told once a deadline is breached, each
    # after a number of working days counted from the breach.
    escalation_ladder: str = "head_of_department:0,city:3"
    """status: the escalation ladder after an SLA breach, `step:working_days` separated by commas, each
    step told once that many working days after the breach (0: at the breach); empty: no escalation"""
    escalation_overrides: str = ""
    """status: ladders for some departments or categories, `DEPT=ladder`, `DEPT/category=ladder` or
    `*/category=ladder` separated by semicolons (e.g. `DISHUB=head_of_department:0,city:1;*/banjir=city:0`)"""
    # SP4N-LAPOR! (docs/lapor.md): the working days of its stages, on the SLA's calendar.
    lapor_verify_days: int = Field(default=3, ge=1)
    """status: LAPOR! stage `verifikasi`: working days to verify and forward a complaint"""
    lapor_follow_up_days: int = Field(default=5, ge=1)
    """status: LAPOR! stage `tindak_lanjut`: working days for the department's follow-up"""
    lapor_close_days: int = Field(default=10, ge=1)
    """status: a finished complaint closes by itself this many working days after the follow-up when
    neither the reporter nor an admin reacts (the reporter may object and reopen until then)"""
    lapor_connector: Literal["none", "file"] = "none"
    """status: where status changes go for the national LAPOR! system: `none`, or `file` (JSON Lines
    appended to `SIGAP_LAPOR_CONNECTOR_PATH`); a city with LAPOR!'s API plugs its own connector in"""
    lapor_connector_path: str | None = None
    """status: the JSON Lines file of the `file` LAPOR! connector"""
    # Open complaints of the same category within this distance are suggested as duplicates.
    duplicate_distance_m: float = 150.0
    """status: open complaints of the same category within this distance are suggested as duplicates"""

    # Intake's internal API (services/status/INTAKE_CONTRACT.md): live after-photos and the
    # audited reveal of confidential identities. Required in production; in development and
    # tests without it, after-photos are accepted unchecked (with a warning) and identities
    # cannot be revealed (503).
    intake_internal_url: str | None = None
    """status and notify: intake's internal API (after-photo claims, audited identity reveal, reporter
    contacts); required by status in production (`make run` sets it)"""
    internal_token: SecretStr = SecretStr(DEVELOPMENT_INTERNAL_TOKEN)  # SIGAP_INTERNAL_TOKEN, as intake expects
    intake_timeout_s: float = 5.0
    """status and notify: timeout of calls to intake's internal API"""

    # Failed staff logins: after this many within the window, further attempts for that
    # username (or from that client address) are refused until the window has passed.
    login_max_failures_per_username: int = 5
    """status: failed logins of one username within `SIGAP_LOGIN_FAILURE_WINDOW_S` before 429 (anyone
    knowing a username can lock it for the window; an admin may reset the password)"""
    login_max_failures_per_ip: int = 30
    """status: failed logins from one client address within the window before 429"""
    login_failure_window_s: int = 15 * 60
    """status: the window of the failed-login limits"""

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

    @field_validator("escalation_ladder")
    @classmethod
    def _check_ladder(cls, value: str) -> str:
        parse_ladder(value)
        return value

    @field_validator("escalation_overrides")
    @classmethod
    def _check_overrides(cls, value: str) -> str:
        parse_overrides(value)
        return value

    @model_validator(mode="after")
    def _file_connector_needs_a_path(self) -> "StatusSettings":
        if self.lapor_connector == "file" and not self.lapor_connector_path:
            raise ValueError("SIGAP_LAPOR_CONNECTOR=file needs SIGAP_LAPOR_CONNECTOR_PATH (the JSON Lines file)")
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
