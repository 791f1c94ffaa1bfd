"""Every service of the running system serves Prometheus metrics at /metrics, in a text format
Prometheus's own checker (promtool, built from the Go module proxy) accepts, and they move with
the traffic: a complaint submitted at intake shows up as an HTTP request by route template at
intake, a routing decision by department at routing and an event handled by each consumer on
its way; no label anywhere holds the complaint's id or tracking code."""

from __future__ import annotations

import subprocess

import httpx
import pytest
from prometheus_client.parser import text_string_to_metric_families

from tests.support.gotools import go_tool
from tests.support.kafka import eventually

pytestmark = [pytest.mark.e2e, pytest.mark.go_tools("promtool")]

SERVICES = ("intake", "routing", "status", "notify", "web")
UNKNOWN_CODE = "SGP-ZZZZ-Z9"
COMPLAINT = {
    "kind": "pengaduan",
    "description": "Lampu jalan di depan Masjid Al-Ikhlas Beji mati total sejak tiga hari, gelap sekali malam hari",
    "category": "lampu_jalan",
    "location": {"lat": -6.3731, "lon": 106.819},
    "privacy": "anonim",
}


@pytest.fixture(scope="module")
def promtool():
    return go_tool("promtool")


async def _scrape(url: str) -> str:
    async with httpx.AsyncClient(timeout=10) as client:
        response = await client.get(f"{url}/metrics")
    assert response.status_code == 200, response.text
    assert response.headers["content-type"].startswith("text/plain"), response.headers
    return response.text


def _samples(text: str) -> dict[tuple[str, frozenset], float]:
    return {
        (sample.name, frozenset(sample.labels.items())): sample.value
        for family in text_string_to_metric_families(text)
        for sample in family.samples
    }


def _value(samples: dict, name: str, **labels: str) -> float:
    """The sum of the samples called `name` whose labels include `labels`."""
    wanted = set(labels.items())
    return sum(value for (sample, have), value in samples.items() if sample == name and wanted <= have)


async def test_every_service_serves_metrics_promtool_accepts(sigap, sigap_web, promtool):
    for name in SERVICES:
        text = await _scrape(sigap.url(name))
        checked = subprocess.run(
            [str(promtool), "check", "metrics"], input=text, capture_output=True, text=True, timeout=60
        )
        assert checked.returncode == 0, f"{name}: {checked.stdout}{checked.stderr}"
        assert "sigap_http_requests_total" in text, name


async def test_metrics_follow_a_complaint_through_the_system_without_its_id(sigap):
    before = {name: _samples(await _scrape(sigap.url(name))) for name in ("intake", "routing", "status")}
    async with httpx.AsyncClient(timeout=10) as client:
        response = await client.post(f"{sigap.url('intake')}/v1/complaints", json=COMPLAINT)
        assert response.status_code == 201, response.text
        complaint = response.json()
        unknown = await client.get(f"{sigap.url('intake')}/v1/track/{UNKNOWN_CODE}")
    routed = "sigap_routing_decisions_total"

    async def moved() -> dict[str, dict] | None:
        now = {name: _samples(await _scrape(sigap.url(name))) for name in ("intake", "routing", "status")}
        handled = "sigap_consumer_events_handled_total"
        if (
            _value(now["routing"], routed) > _value(before["routing"], routed)
            and _value(now["status"], handled) >= _value(before["status"], handled) + 2  # submitted, routed
        ):
            return now
        return None

    now = await eventually(moved, timeout_s=60, interval_s=0.5)

    posted = dict(method="POST", route="/v1/complaints", status="201")
    requests = "sigap_http_requests_total"
    assert _value(now["intake"], requests, **posted) >= _value(before["intake"], requests, **posted) + 1
    count = "sigap_http_request_duration_seconds_count"
    assert _value(now["intake"], count, method="POST", route="/v1/complaints") >= 1
    # A request for an unknown tracking code is counted under its route's template.
    tracked = dict(method="GET", route="/v1/track/{tracking_code}", status=str(unknown.status_code))
    assert _value(now["intake"], requests, **tracked) >= 1
    templates = {dict(labels).get("route") for (name, labels) in now["intake"] if name == requests}
    assert not [template for template in templates if UNKNOWN_CODE in template]
    decisions = {
        dict(labels)["department"]: value
        for (name, labels), value in now["routing"].items()
        if name == routed
    }
    assert decisions and all(department.isupper() for department in decisions), decisions
    lag = [labels for (name, labels) in now["status"] if name == "sigap_consumer_lag_messages"]
    assert {dict(labels)["consumer"] for labels in lag} >= {"status.lifecycle"}
    assert ("sigap_outbox_backlog_events", frozenset({("service", "status")})) in now["status"]

    for name in SERVICES:
        text = await _scrape(sigap.url(name))
        for secret in (complaint["id"], complaint.get("tracking_code") or complaint["id"]):
            assert secret not in text, (name, secret)
