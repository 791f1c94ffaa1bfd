"""Routing's settings (env prefix SIGAP_)."""

from sigap_shared.settings import ServiceSettings


class RoutingSettings(ServiceSettings):
    service_name: str = "routing"
    http_port: int = 8001
    pg_database: str = "sigap_routing"
