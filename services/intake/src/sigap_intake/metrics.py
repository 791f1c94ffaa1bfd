"""Intake's own Prometheus metrics (served at /metrics with the shared ones)."""

from __future__ import annotations

from prometheus_client import Counter

PHOTO_VERDICTS = Counter(
    "sigap_intake_photo_verdicts_total",
    "Photos judged on upload, by verdict (verified_live, suspicious, rejected).",
    ["verdict"],
)
