"""Distributed traces with OpenTelemetry: one trace follows a complaint from the HTTP request
that submitted it, through the outbox and Kafka, to every service that handled it.

How the trace crosses each boundary:
- HTTP in: FastAPI's native telemetry opens a server span per request (reading an incoming W3C
  `traceparent` header); `fastapi_telemetry()` is its configuration.
- Events out: `Envelope.traceparent` defaults to the current span, and `encode` writes it as the
  CloudEvents distributed-tracing attribute (`ce_traceparent`). It is stored with the outbox row,
  so the relay publishes it whenever it gets to it.
- Events in: the consumer opens a consumer span per event, child of the event's `traceparent`
  (`consumer_span`), and hands the handler the event re-parented onto that span.
- HTTP out: the web service passes `traceparent` on to the APIs it calls.

Without `SIGAP_OTLP_ENDPOINT` nothing is recorded or exported: the API's no-op tracer costs a
few function calls per span, and events carry no `traceparent`."""

from __future__ import annotations

import contextlib
import dataclasses
import re
from collections.abc import Iterator, MutableMapping
from typing import TYPE_CHECKING, Any

from opentelemetry import context as otel_context
from opentelemetry import trace
from opentelemetry.trace import NonRecordingSpan, SpanContext, SpanKind, TraceFlags

if TYPE_CHECKING:
    from fastapi.telemetry import TelemetryConfig

    from sigap_shared.events import Envelope

TRACER_NAME = "sigap"
# Paths polled by orchestrators and Prometheus: a span for each would drown the real traffic.
UNTRACED_PATHS = frozenset({"/healthz", "/readyz", "/metrics"})

_TRACEPARENT = re.compile(r"^00-([0-9a-f]{32})-([0-9a-f]{16})-([0-9a-f]{2})$")
_provider: Any = None


def configure_tracing(*, service: str, endpoint: str | None) -> bool:
    """Install an SDK tracer provider exporting spans over OTLP/HTTP to `endpoint` (e.g.
    `http://collector:4318`). Idempotent; a process without an endpoint records nothing.
    True when spans are exported."""
    global _provider
    if not endpoint:
        return False
    if _provider is not None:
        return True
    # The SDK and the exporter are imported only where traces are wanted.
    from opentelemetry.exporter.otlp.proto.http.trace_exporter import OTLPSpanExporter
    from opentelemetry.sdk.resources import Resource
    from opentelemetry.sdk.trace import TracerProvider
    from opentelemetry.sdk.trace.export import BatchSpanProcessor

    provider = TracerProvider(resource=Resource.create({"service.name": f"sigap-{service}"}))
    provider.add_span_processor(BatchSpanProcessor(OTLPSpanExporter(endpoint=endpoint.rstrip("/") + "/v1/traces")))
    trace.set_tracer_provider(provider)
    _provider = provider
    return True


@contextlib.contextmanager
def recording_with(provider: Any) -> Iterator[None]:
    """Use `provider` for Sigap's spans inside the block (tests: an SDK provider with an
    in-memory exporter), leaving the process-wide provider alone."""
    global _provider
    previous, _provider = _provider, provider
    try:
        yield
    finally:
        _provider = previous


def _tracer() -> trace.Tracer:
    return trace.get_tracer(TRACER_NAME, tracer_provider=_provider)


def shutdown_tracing() -> None:
    """Export what is still buffered (at process exit)."""
    global _provider
    if _provider is not None:
        _provider.shutdown()
        _provider = None


def format_traceparent(span_context: SpanContext) -> str | None:
    if not span_context.is_valid:
        return None
    return f"00-{span_context.trace_id:032x}-{span_context.span_id:016x}-{int(span_context.trace_flags):02x}"


def parse_traceparent(text: str | None) -> SpanContext | None:
    """The remote span a W3C `traceparent` names; None for anything malformed (a bad header from
    outside must never stop an event or a request)."""
    if not text:
        return None
    match = _TRACEPARENT.match(text.strip())
    if match is None:
        return None
    trace_id, span_id, flags = int(match[1], 16), int(match[2], 16), int(match[3], 16)
    if trace_id == 0 or span_id == 0:
        return None
    return SpanContext(trace_id=trace_id, span_id=span_id, is_remote=True, trace_flags=TraceFlags(flags & 0x01))


def current_traceparent() -> str | None:
    """The `traceparent` of the span that is current here, if one records."""
    return format_traceparent(trace.get_current_span().get_span_context())


def _parent_context(traceparent: str | None) -> otel_context.Context | None:
    remote = parse_traceparent(traceparent)
    return trace.set_span_in_context(NonRecordingSpan(remote)) if remote else None


def _event_attributes(consumer: str, envelope: Envelope) -> dict[str, str]:
    return {
        "messaging.system": "kafka",
        "messaging.operation.type": "process",
        "messaging.destination.name": envelope.topic,
        "messaging.consumer.group.name": consumer,
        "messaging.message.id": str(envelope.id),
        "cloudevents.event_type": envelope.type,
        "cloudevents.event_source": envelope.source,
    }


def _start_consumer_span(consumer: str, envelope: Envelope) -> trace.Span:
    return _tracer().start_span(
        f"process {envelope.type}",
        context=_parent_context(envelope.traceparent),
        kind=SpanKind.CONSUMER,
        attributes=_event_attributes(consumer, envelope),
    )


@contextlib.contextmanager
def consumer_span(consumer: str, envelope: Envelope) -> Iterator[Envelope]:
    """A span for handling one event, current inside the block, child of the span that published
    it. Yields the event re-parented onto this span, so that what a handler derives from it with
    `dataclasses.replace` (or `traceparent=source.traceparent`) continues the trace here.
    Without a configured provider it yields the event as it is, at no cost per event."""
    if _provider is None:
        yield envelope
        return
    span = _start_consumer_span(consumer, envelope)
    with trace.use_span(span, end_on_exit=True):
        yield traced_by(envelope, span)


@contextlib.contextmanager
def consumer_spans(consumer: str, envelopes: list[Envelope]) -> Iterator[list[Envelope]]:
    """`consumer_span` for a run of events handled together: one span per event (none of them
    current), each event re-parented onto its own span."""
    if _provider is None:
        yield envelopes
        return
    spans = [_start_consumer_span(consumer, envelope) for envelope in envelopes]
    try:
        yield [traced_by(envelope, span) for envelope, span in zip(envelopes, spans, strict=True)]
    except BaseException as exc:
        for span in spans:
            span.record_exception(exc)
            span.set_status(trace.StatusCode.ERROR, repr(exc))
        raise
    finally:
        for span in spans:
            span.end()


def traced_by(envelope: Envelope, span: trace.Span) -> Envelope:
    own = format_traceparent(span.get_span_context())
    return envelope if own is None or own == envelope.traceparent else dataclasses.replace(envelope, traceparent=own)


def log_trace_ids(_logger: object, _method: str, event_dict: MutableMapping[str, Any]) -> MutableMapping[str, Any]:
    """structlog processor: the current trace and span ids on every log line written inside a
    span, so a line found in the logs leads to its trace and back."""
    span_context = trace.get_current_span().get_span_context()
    if span_context.is_valid:
        event_dict.setdefault("trace_id", f"{span_context.trace_id:032x}")
        event_dict.setdefault("span_id", f"{span_context.span_id:016x}")
    return event_dict


def _untraced(scope: MutableMapping[str, Any]) -> bool:
    return scope.get("path") in UNTRACED_PATHS


def fastapi_telemetry() -> TelemetryConfig:
    """FastAPI's native telemetry, spans only: Sigap's metrics are Prometheus (`/metrics`) and its
    logs structlog. It stays off until `configure_tracing` installed a provider."""
    return {
        "tracing": True,
        "metrics": False,
        "logs": False,
        "operation_spans": False,
        "auto_configure": False,
        "exclude": _untraced,
        # None: the process-wide provider, which stays a no-op unless configure_tracing ran.
        "tracer_provider": _provider,
    }
