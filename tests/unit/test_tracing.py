"""Trace context crosses every boundary of Sigap: HTTP requests, the CloudEvents on Kafka, the
consumers' batches, and log lines."""

from __future__ import annotations

import dataclasses
import uuid
from collections.abc import Iterator

import httpx
import pytest
from fastapi import FastAPI
from opentelemetry.sdk.trace import TracerProvider
from opentelemetry.sdk.trace.export import SimpleSpanProcessor
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter
from opentelemetry.trace import SpanKind

from sigap_shared.events import Envelope, decode, encode
from sigap_shared.tracing import (
    consumer_span,
    consumer_spans,
    current_traceparent,
    fastapi_telemetry,
    log_trace_ids,
    parse_traceparent,
    recording_with,
)
from tests.support.factories import submitted_envelope

REMOTE = "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01"


@pytest.fixture
def spans() -> Iterator[InMemorySpanExporter]:
    exporter = InMemorySpanExporter()
    provider = TracerProvider()
    provider.add_span_processor(SimpleSpanProcessor(exporter))
    with recording_with(provider):
        yield exporter


@pytest.mark.parametrize(
    "text",
    [
        None,
        "",
        "garbage",
        "01-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01",  # unknown version
        "00-00000000000000000000000000000000-00f067aa0ba902b7-01",  # zero trace id
        "00-4bf92f3577b34da6a3ce929d0e0e4736-0000000000000000-01",  # zero span id
        "00-4BF92F3577B34DA6A3CE929D0E0E4736-00f067aa0ba902b7-01",  # upper case
        "00-4bf92f3577b34da6a3ce929d0e0e473-00f067aa0ba902b7-01",  # short
    ],
)
def test_malformed_traceparents_name_no_span(text):
    assert parse_traceparent(text) is None


def test_a_traceparent_names_its_trace_and_span():
    remote = parse_traceparent(REMOTE)
    assert remote is not None and remote.is_remote
    assert (f"{remote.trace_id:032x}", f"{remote.span_id:016x}") == (
        "4bf92f3577b34da6a3ce929d0e0e4736",
        "00f067aa0ba902b7",
    )


def test_events_carry_their_trace_on_kafka_and_a_bad_one_is_dropped_not_refused():
    envelope = dataclasses.replace(submitted_envelope(), traceparent=REMOTE)
    record = encode(envelope)
    assert (("ce_traceparent", REMOTE.encode())) in record.headers
    assert decode(record.headers, record.value).traceparent == REMOTE

    forged = [(name, b"00-xyz" if name == "ce_traceparent" else value) for name, value in record.headers]
    decoded = decode(forged, record.value)
    assert decoded.traceparent is None and decoded.id == envelope.id


def test_without_a_span_events_carry_no_trace():
    envelope = submitted_envelope()
    assert envelope.traceparent is None and current_traceparent() is None
    with consumer_span("routing.complaints", envelope) as handled, consumer_spans("x", [envelope]) as run:
        assert handled is envelope and run == [envelope] and current_traceparent() is None
    assert all(name != "ce_traceparent" for name, _ in encode(envelope).headers)


def test_handling_an_event_continues_its_trace_and_what_it_publishes_continues_it_further(spans):
    received = dataclasses.replace(submitted_envelope(), traceparent=REMOTE)
    with consumer_span("routing.complaints", received) as traced:
        published = Envelope(data=received.data, source="sigap/test")
    (span,) = spans.get_finished_spans()
    remote = parse_traceparent(REMOTE)
    assert span.kind == SpanKind.CONSUMER
    assert span.context.trace_id == remote.trace_id and span.parent.span_id == remote.span_id
    assert span.attributes["messaging.message.id"] == str(received.id)
    assert span.attributes["cloudevents.event_type"] == received.type
    own = f"00-{span.context.trace_id:032x}-{span.context.span_id:016x}-01"
    assert traced.traceparent == own and traced.id == received.id
    assert published.traceparent == own


def test_a_batch_keeps_each_events_own_trace(spans):
    first = f"00-{uuid.uuid4().hex}-{'1' * 16}-01"
    second = f"00-{uuid.uuid4().hex}-{'2' * 16}-01"
    batch = [dataclasses.replace(submitted_envelope(), traceparent=parent) for parent in (first, second)]
    with consumer_spans("status.complaints", batch) as traced:
        assert current_traceparent() is None  # none of the batch's spans is current
    finished = spans.get_finished_spans()
    assert len(finished) == 2
    for parent, envelope, span in zip((first, second), traced, finished, strict=True):
        remote = parse_traceparent(parent)
        assert span.context.trace_id == remote.trace_id and span.parent.span_id == remote.span_id
        assert envelope.traceparent == f"00-{span.context.trace_id:032x}-{span.context.span_id:016x}-01"


def test_an_event_without_a_trace_starts_one(spans):
    with consumer_span("notify.complaints", submitted_envelope()) as traced:
        pass
    (span,) = spans.get_finished_spans()
    assert span.parent is None and traced.traceparent is not None


def test_log_lines_written_in_a_span_name_it(spans):
    assert "trace_id" not in log_trace_ids(None, "info", {"event": "outside"})
    with consumer_span("routing.complaints", dataclasses.replace(submitted_envelope(), traceparent=REMOTE)):
        line = log_trace_ids(None, "info", {"event": "inside"})
    assert line["trace_id"] == "4bf92f3577b34da6a3ce929d0e0e4736"
    assert line["span_id"] == f"{spans.get_finished_spans()[0].context.span_id:016x}"


async def test_http_requests_join_the_callers_trace_and_probes_are_not_traced(spans):
    app = FastAPI(telemetry=fastapi_telemetry())
    seen: list[str | None] = []

    @app.post("/v1/things")
    async def things() -> dict[str, str]:
        seen.append(current_traceparent())
        return {"ok": "yes"}

    @app.get("/healthz")
    async def healthz() -> dict[str, str]:
        return {"status": "ok"}

    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://t") as client:
        assert (await client.post("/v1/things", headers={"traceparent": REMOTE})).status_code == 200
        assert (await client.get("/healthz")).status_code == 200
    (span,) = spans.get_finished_spans()
    assert span.kind == SpanKind.SERVER and span.attributes["http.route"] == "/v1/things"
    assert span.context.trace_id == parse_traceparent(REMOTE).trace_id
    assert seen == [f"00-{span.context.trace_id:032x}-{span.context.span_id:016x}-01"]
