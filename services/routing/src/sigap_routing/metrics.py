"""Routing's own Prometheus metrics (served at /metrics with the shared ones)."""

from __future__ import annotations

from prometheus_client import Counter

ROUTING_DECISIONS = Counter(
    "sigap_routing_decisions_total",
    "Complaints routed, by department code and whether the decision needs triage by a person "
    '(triage="yes"); the triage share is the "yes" rate over all.',
    ["department", "triage"],
)
