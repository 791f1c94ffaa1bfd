"""One trace follows a complaint through the four running services: intake's request span, then
a consumer span in each service that handles its events, each the child of the span that
published the event (through the outbox and Kafka), exported over OTLP to a real receiver."""

from __future__ import annotations

import uuid

import httpx
import pytest

from sigap_shared.tracing import UNTRACED_PATHS
from tests.support.kafka import eventually
from tests.support.load import complaint_body

pytestmark = [pytest.mark.e2e]

SERVICES = {"sigap-intake", "sigap-routing", "sigap-status", "sigap-notify"}


async def test_one_trace_follows_a_complaint_through_every_service(sigap, otlp):
    trace_id, caller_span = uuid.uuid4().hex, uuid.uuid4().hex[:16]
    async with httpx.AsyncClient(timeout=20) as client:
        response = await client.post(
            f"{sigap.url('intake')}/v1/complaints",
            json=complaint_body(1),
            headers={"traceparent": f"00-{trace_id}-{caller_span}-01"},
        )
    assert response.status_code == 201, response.text

    def handled_everywhere():
        spans = otlp.trace(trace_id)
        consumers = {span.service for span in spans if span.kind == "consumer"}
        return spans if SERVICES - {"sigap-intake"} <= consumers and "sigap-intake" in consumers else None

    spans = await eventually(handled_everywhere, timeout_s=60, interval_s=0.3)
    (request,) = [span for span in spans if span.kind == "server"]
    assert request.service == "sigap-intake" and request.parent_span_id == caller_span
    assert request.attributes["http.route"] == "/v1/complaints"
    assert request.attributes["http.response.status_code"] == 201
    # Every span hangs from the caller's span or from another span of the same trace: the chain
    # is unbroken across the outbox, Kafka and each consumer's batches.
    ids = {span.span_id for span in spans} | {caller_span}
    assert all(span.parent_span_id in ids for span in spans), [(s.service, s.name) for s in spans]
    submitted = [span for span in spans if span.name == "process sigap.complaint.submitted.v1"]
    assert {span.service for span in submitted} >= {"sigap-routing", "sigap-status"}
    assert all(span.parent_span_id == request.span_id for span in submitted)
    assert all(span.attributes["messaging.message.id"] for span in spans if span.kind == "consumer")
    # A log line written while handling the request names the trace.
    assert any(trace_id in sigap.services[name].log_text() for name in ("intake", "routing", "status", "notify"))


async def test_health_probes_leave_no_spans(sigap, otlp):
    async with httpx.AsyncClient(timeout=10) as client:
        for name in ("intake", "status"):
            for path in sorted(UNTRACED_PATHS):
                await client.get(f"{sigap.url(name)}{path}")
    async with httpx.AsyncClient(timeout=10) as client:
        assert (await client.get(f"{sigap.url('status')}/v1/public/statistics")).status_code < 500
    traced = await eventually(
        lambda: [s for s in otlp.snapshot() if s.attributes.get("url.path") == "/v1/public/statistics"] or None,
        timeout_s=30,
        interval_s=0.3,
    )
    assert traced
    assert not [span for span in otlp.snapshot() if span.attributes.get("url.path") in UNTRACED_PATHS]
