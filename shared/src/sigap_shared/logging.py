"""Configures structlog once per process and routes the standard library's loggers
(uvicorn, aiokafka, asyncpg) through the same pipeline, as JSON or human-readable console."""

from __future__ import annotations

import logging
import sys
from typing import Literal

import orjson
import structlog

from sigap_shared.tracing import log_trace_ids

_configured = False


def _json_dumps(obj: object, default=None) -> str:
    return orjson.dumps(obj, default=default).decode()


def configure_logging(
    *, service: str, fmt: Literal["console", "json"] = "console", level: str = "INFO"
) -> None:
    """Idempotent: a second call only changes the level."""
    global _configured
    def add_service(_logger, _method, event_dict):
        event_dict.setdefault("service", service)
        return event_dict

    shared_processors: list = [
        structlog.contextvars.merge_contextvars,
        add_service,
        log_trace_ids,
        structlog.stdlib.add_log_level,
        structlog.stdlib.add_logger_name,
        structlog.processors.TimeStamper(fmt="iso", utc=True),
        structlog.processors.StackInfoRenderer(),
    ]
    renderer = (
        structlog.processors.JSONRenderer(serializer=_json_dumps)
        if fmt == "json"
        else structlog.dev.ConsoleRenderer(colors=sys.stderr.isatty())
    )
    root = logging.getLogger()
    root.setLevel(level.upper())
    if _configured:
        return
    structlog.configure(
        processors=[
            # First, so a line below the level costs one check instead of the whole pipeline.
            structlog.stdlib.filter_by_level,
            *shared_processors,
            # Tracebacks as data, but never the frames' local variables: they may hold a
            # confidential reporter's identity or a secret.
            structlog.processors.ExceptionRenderer(structlog.tracebacks.ExceptionDictTransformer(show_locals=False))
            if fmt == "json"
            else structlog.dev.set_exc_info,
            structlog.stdlib.ProcessorFormatter.wrap_for_formatter,
        ],
        logger_factory=structlog.stdlib.LoggerFactory(),
        wrapper_class=structlog.stdlib.BoundLogger,
        cache_logger_on_first_use=True,
    )
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(
        structlog.stdlib.ProcessorFormatter(
            foreign_pre_chain=[*shared_processors, structlog.processors.format_exc_info]
            if fmt == "json"
            else shared_processors,
            processors=[
                structlog.stdlib.ProcessorFormatter.remove_processors_meta,
                renderer,
            ],
        )
    )
    root.handlers[:] = [handler]
    for name in ("uvicorn", "uvicorn.error", "uvicorn.access", "aiokafka", "asyncpg"):
        lib_logger = logging.getLogger(name)
        lib_logger.handlers.clear()
        lib_logger.propagate = True
    # aiokafka reports every failed reconnect at ERROR; one line per attempt is enough at WARNING.
    logging.getLogger("aiokafka").setLevel("WARNING")
    _configured = True
