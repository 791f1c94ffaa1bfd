"""Status's own Prometheus metrics, sampled from its database every few seconds."""

from __future__ import annotations

from prometheus_client import Gauge

from sigap_shared.metrics import SampledGauge

SLA_BREACHED = Gauge(
    "sigap_status_sla_breached_complaints",
    "Complaints whose running deadline (verify or finish) has passed, by department.",
    ["department"],
)

SAMPLED = (
    SampledGauge(
        gauge=SLA_BREACHED,
        query=(
            "SELECT department, count(*) FROM complaints"
            " WHERE sla_due_at IS NOT NULL AND sla_breached_at IS NOT NULL AND sla_paused_at IS NULL"
            " AND department IS NOT NULL GROUP BY department"
        ),
    ),
)
