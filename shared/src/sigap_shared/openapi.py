"""The error answers every Sigap API gives, documented once for every operation: each service's
OpenAPI document lists the RFC 9457 problem+json responses (with a `Problem` schema) that the
shared handlers produce, so the document tells clients and API fuzzers the truth without each
route repeating them."""

from __future__ import annotations

import json
from typing import Any

from fastapi import FastAPI
from fastapi.openapi.utils import get_openapi

from sigap_shared.problems import PROBLEM_JSON

# What any operation may answer besides its own successes, and why.
PROBLEM_RESPONSES: dict[int, str] = {
    400: "The request could not be read (problem+json).",
    401: "Staff login required: no, an invalid or an expired access token (problem+json).",
    403: "Not permitted for this account (problem+json).",
    404: "Not found, or not visible to this account (problem+json).",
    405: "Method not allowed; `Allow` lists the methods of this path (problem+json).",
    409: "Conflict with the current state: reload and retry (problem+json).",
    413: "The request body is too large (problem+json).",
    415: "Unsupported media type (problem+json).",
    422: "The submitted data is not valid; `errors` names each field (problem+json).",
    429: "Too many requests; see `Retry-After` (problem+json).",
    503: "Temporarily unavailable (database, broker or a service it needs); see `Retry-After` (problem+json).",
}

PROBLEM_SCHEMA: dict[str, Any] = {
    "title": "Problem",
    "type": "object",
    "description": "RFC 9457 problem details, in Bahasa Indonesia or English (Accept-Language).",
    "required": ["type", "title", "status"],
    "properties": {
        "type": {"type": "string", "description": "`/problems/<slug>`"},
        "title": {"type": "string"},
        "status": {"type": "integer"},
        "detail": {"type": "string"},
        "instance": {"type": "string"},
        "errors": {
            "type": "array",
            "items": {
                "type": "object",
                "properties": {
                    "field": {"type": "string"},
                    "in": {"type": "string"},
                    "message": {"type": "string"},
                    "code": {"type": ["string", "null"]},
                },
            },
        },
    },
    "additionalProperties": True,
}

_METHODS = ("get", "put", "post", "delete", "patch", "head", "options", "trace")


def add_problem_responses(schema: dict[str, Any]) -> dict[str, Any]:
    """Document the problem+json answers on every operation of an OpenAPI document (in place):
    FastAPI's own 422 (a JSON body it never sends here) becomes the problem the shared handler
    sends; responses a route documents itself in another media type (Open311's own error
    format) are left as they are."""
    schema.setdefault("components", {}).setdefault("schemas", {})["Problem"] = PROBLEM_SCHEMA
    problem = {PROBLEM_JSON: {"schema": {"$ref": "#/components/schemas/Problem"}}}
    for path_item in schema.get("paths", {}).values():
        for method, operation in path_item.items():
            if method not in _METHODS:
                continue
            responses = operation.setdefault("responses", {})
            for status, description in PROBLEM_RESPONSES.items():
                existing = responses.get(str(status))
                if existing is None or _is_fastapi_validation_error(existing):
                    responses[str(status)] = {"description": description, "content": problem}
    schemas = schema["components"]["schemas"]
    if not _referenced(schema, "HTTPValidationError"):
        schemas.pop("HTTPValidationError", None)
        if not _referenced(schema, "ValidationError"):
            schemas.pop("ValidationError", None)
    return schema


def _is_fastapi_validation_error(response: dict[str, Any]) -> bool:
    content = response.get("content", {})
    return content.get("application/json", {}).get("schema", {}).get("$ref", "").endswith("/HTTPValidationError")


def _referenced(schema: dict[str, Any], name: str) -> bool:
    ref = f'"#/components/schemas/{name}"'
    without = {key: value for key, value in schema["components"]["schemas"].items() if key != name}
    return ref in json.dumps({"paths": schema.get("paths", {}), "schemas": without})


def document_problems(app: FastAPI) -> None:
    """Serve `app`'s OpenAPI document with the problem+json answers on every operation."""

    def openapi() -> dict[str, Any]:
        if app.openapi_schema is None:
            app.openapi_schema = add_problem_responses(
                get_openapi(
                    title=app.title,
                    version=app.version,
                    description=app.description,
                    routes=app.routes,
                )
            )
        return app.openapi_schema

    app.openapi = openapi  # type: ignore[method-assign]
