"""What every Sigap API document says, built once for every service: the RFC 9457
problem+json responses (with a `Problem` schema) the shared handlers produce, and who may call
each operation — the bearer schemes (so Swagger UI offers "Authorize") and the staff roles,
read from the role-checking dependencies of each route (`sigap_shared.auth.declares_roles`),
so the document tells clients and API fuzzers the truth without each route repeating it."""

from __future__ import annotations

import json
from collections.abc import Awaitable, Callable, Iterable
from dataclasses import dataclass
from importlib.resources import files
from typing import Any

from fastapi import FastAPI, Request
from fastapi.dependencies.models import Dependant
from fastapi.openapi.docs import get_redoc_html, get_swagger_ui_html
from fastapi.openapi.utils import get_openapi
from fastapi.responses import HTMLResponse
from fastapi.staticfiles import StaticFiles
from fastapi.routing import APIRoute, iter_route_contexts
from starlette.routing import BaseRoute

from sigap_shared.auth import ROLES, is_internal_gate, roles_declared_by
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


STAFF_SCHEME = "staffBearer"
INTERNAL_SCHEME = "internalToken"
SECURITY_SCHEMES: dict[str, dict[str, Any]] = {
    STAFF_SCHEME: {
        "type": "http",
        "scheme": "bearer",
        "bearerFormat": "JWT",
        "description": "A staff access token from the status service's `POST /v1/auth/login` (valid "
        "`SIGAP_JWT_ACCESS_TTL_S` seconds; renew with `POST /v1/auth/refresh`). The operation's "
        "`x-sigap-roles` names the roles it admits; department scoping is in its description.",
    },
    INTERNAL_SCHEME: {
        "type": "http",
        "scheme": "bearer",
        "description": "Service-to-service only: the shared `SIGAP_INTERNAL_TOKEN`. Not for staff or citizens.",
    },
}
ACCESS_EXTENSION = "x-sigap-access"  # "staff" | "internal" | "public"
ROLES_EXTENSION = "x-sigap-roles"


@dataclass(frozen=True, slots=True)
class Access:
    """Who may call one operation: staff with one of `roles`, other services, or anyone."""

    kind: str
    roles: tuple[str, ...] = ()


def access_of(dependant: Dependant) -> Access:
    """Read an operation's gate from its dependency tree: every role-declaring dependency must
    admit the caller, so the roles are the intersection of what each declares."""
    roles: frozenset[str] | None = None
    internal = False
    pending = list(dependant.dependencies)
    while pending:
        current = pending.pop()
        declared = roles_declared_by(current.call)
        if declared is not None:
            roles = declared if roles is None else roles & declared
        internal = internal or is_internal_gate(current.call)
        pending.extend(current.dependencies)
    if internal:
        return Access("internal")
    if roles is not None:
        return Access("staff", tuple(role for role in ROLES if role in roles))
    return Access("public")


def operation_access(routes: Iterable[BaseRoute]) -> dict[tuple[str, str], Access]:
    """(path, method) -> who may call it, for every documented operation of `routes`."""
    found: dict[tuple[str, str], Access] = {}
    for context in iter_route_contexts(list(routes)):
        if not isinstance(context.original_route, APIRoute) or not context.include_in_schema:
            continue
        access = access_of(context.dependant)
        for method in context.methods or ():
            found[(context.path_format, method.lower())] = access
    return found


def add_access(schema: dict[str, Any], access: dict[tuple[str, str], Access]) -> dict[str, Any]:
    """Document the bearer schemes and, on each operation, its security requirement and roles
    (public operations carry no security requirement)."""
    schemes = schema.setdefault("components", {}).setdefault("securitySchemes", {})
    schemes.update(SECURITY_SCHEMES)
    for path, path_item in schema.get("paths", {}).items():
        for method, operation in path_item.items():
            if method not in _METHODS:
                continue
            gate = access.get((path, method), Access("public"))
            operation[ACCESS_EXTENSION] = gate.kind
            if gate.kind == "staff":
                operation["security"] = [{STAFF_SCHEME: []}]
                operation[ROLES_EXTENSION] = list(gate.roles)
                who = "any staff role" if set(gate.roles) == set(ROLES) else " or ".join(f"`{r}`" for r in gate.roles)
                note = f"**Who may call:** staff ({who}), with a bearer access token."
            elif gate.kind == "internal":
                operation["security"] = [{INTERNAL_SCHEME: []}]
                note = "**Who may call:** other Sigap services only, with `SIGAP_INTERNAL_TOKEN`."
            else:
                operation.pop("security", None)
                note = "**Who may call:** anyone (public, no token)."
            description = operation.get("description", "").rstrip()
            operation["description"] = f"{description}\n\n{note}" if description else note
    return schema


def document_problems(app: FastAPI) -> None:
    """Serve `app`'s OpenAPI document with the problem+json answers and who may call each
    operation."""

    def openapi() -> dict[str, Any]:
        if app.openapi_schema is None:
            app.openapi_schema = add_access(
                add_problem_responses(
                    get_openapi(
                        title=app.title,
                        version=app.version,
                        description=app.description,
                        routes=app.routes,
                    )
                ),
                operation_access(app.routes),
            )
        return app.openapi_schema

    app.openapi = openapi  # type: ignore[method-assign]


# Swagger UI and ReDoc come from the `fastapi-offline` package (PyPI), which ships their dist
# files; each service serves them itself, so /docs works on an intranet without internet.
DOCS_ASSETS_PATH = "/docs/assets"


def serve_api_docs(app: FastAPI) -> None:
    """`/docs` (Swagger UI, with "Authorize") and `/redoc` for `app`'s OpenAPI document, with
    every script and style served from `DOCS_ASSETS_PATH` of the service itself (the app must
    be built with `docs_url=None, redoc_url=None`)."""
    assets = str(files("fastapi_offline") / "static")
    app.mount(DOCS_ASSETS_PATH, StaticFiles(directory=assets), name="api-docs-assets")

    def swagger_ui(document: str, assets: str) -> HTMLResponse:
        return get_swagger_ui_html(
            openapi_url=document,
            title=f"{app.title} - Swagger UI",
            swagger_js_url=f"{assets}/swagger-ui-bundle.js",
            swagger_css_url=f"{assets}/swagger-ui.css",
            swagger_favicon_url=f"{assets}/favicon.png",
            # No call to the public validator; a token entered under "Authorize" survives a reload.
            swagger_ui_parameters={"validatorUrl": None, "persistAuthorization": True},
        )

    def redoc(document: str, assets: str) -> HTMLResponse:
        script, icon = f"{assets}/redoc.standalone.js", f"{assets}/favicon.png"
        return get_redoc_html(
            openapi_url=document, title=f"{app.title} - ReDoc", redoc_js_url=script, redoc_favicon_url=icon,
            with_google_fonts=False,
        )

    for path, page in (("/docs", swagger_ui), ("/redoc", redoc)):
        app.add_api_route(path, _page_endpoint(app, page), methods=["GET"], include_in_schema=False)


def _page_endpoint(
    app: FastAPI, page: Callable[[str, str], HTMLResponse]
) -> Callable[[Request], Awaitable[HTMLResponse]]:
    async def endpoint(request: Request) -> HTMLResponse:
        # Behind whatever prefix the proxy adds.
        root = str(request.scope.get("root_path", "")).rstrip("/")
        return page(f"{root}{app.openapi_url}", f"{root}{DOCS_ASSETS_PATH}")

    return endpoint
