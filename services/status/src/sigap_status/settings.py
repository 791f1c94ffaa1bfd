"""Status's settings (env prefix SIGAP_)."""

from sigap_shared.settings import ServiceSettings


class StatusSettings(ServiceSettings):
    service_name: str = "status"
    http_port: int = 8002
    pg_database: str = "sigap_status"
