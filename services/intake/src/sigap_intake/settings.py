"""Intake's settings (env prefix SIGAP_)."""

from sigap_shared.settings import ServiceSettings


class IntakeSettings(ServiceSettings):
    service_name: str = "intake"
    http_port: int = 8000
    pg_database: str = "sigap_intake"
