"""Notify's own Prometheus metrics (served at /metrics with the shared ones)."""

from __future__ import annotations

from collections.abc import Iterable

from prometheus_client import Counter

DELIVERIES = Counter(
    "sigap_notify_deliveries_total",
    "Delivery attempts by channel and outcome: sent, undeliverable (the address cannot take it), "
    "retry (scheduled again) or failed (attempts exhausted).",
    ["channel", "outcome"],
)
_OUTCOMES = {"sent": "sent", "undeliverable": "undeliverable", "pending": "retry", "failed": "failed"}


def count_deliveries(channel: str, statuses: Iterable[str]) -> None:
    """Counts settled deliveries by the status their rows were given."""
    for status in statuses:
        DELIVERIES.labels(channel=channel, outcome=_OUTCOMES.get(status, "other")).inc()
