"""Routing's settings (env prefix SIGAP_)."""

from typing import ClassVar

from sigap_shared.settings import ServiceSettings


class RoutingSettings(ServiceSettings):
    # Transfers, joint handling and the taxonomy are staff endpoints; accounts live at status.
    staff_checked_at_status: ClassVar[bool] = True

    service_name: str = "routing"
    http_port: int = 8001
    pg_database: str = "sigap_routing"
    # How often each process re-reads the active taxonomy version (the process that stores an
    # edit uses it at once).
    taxonomy_refresh_s: float = 1.0
    """routing: how often each process re-reads the active taxonomy version"""
    # A point farther than this from every kelurahan outline is outside Kota Depok.
    edge_tolerance_m: float = 60.0
    """routing: a point farther than this from every kelurahan outline is outside the city"""
