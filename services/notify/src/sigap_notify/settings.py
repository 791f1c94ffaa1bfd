"""Notify's settings (env prefix SIGAP_)."""

from sigap_shared.settings import ServiceSettings


class NotifySettings(ServiceSettings):
    service_name: str = "notify"
    http_port: int = 8003
    pg_database: str = "sigap_notify"
