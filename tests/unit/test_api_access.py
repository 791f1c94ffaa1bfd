"""Who may call what, as every service's OpenAPI document says it: each operation is either
for staff (bearer scheme, the roles it admits), for other services (internal token) or
explicitly public; the roles are those the route's role-checking dependencies admit when
called (not only what they declare); the lifecycle operations describe their transitions.
The apps are built exactly as the services build them."""

from __future__ import annotations

import inspect

import pytest
from fastapi import FastAPI
from fastapi.dependencies.models import Dependant
from fastapi.routing import APIRoute, iter_route_contexts

from sigap_intake.bootstrap import create_app as create_intake_app
from sigap_intake.settings import IntakeSettings
from sigap_notify.bootstrap import create_app as create_notify_app
from sigap_notify.settings import NotifySettings
from sigap_routing.bootstrap import create_app as create_routing_app
from sigap_routing.settings import RoutingSettings
from sigap_shared.auth import (
    ROLES,
    StaffPrincipal,
    current_staff,
    declares_roles,
    role_refused,
    roles_declared_by,
    verified_staff,
)
from sigap_shared.openapi import INTERNAL_SCHEME, STAFF_SCHEME
from sigap_shared.problems import Problem
from sigap_status.lifecycle import descriptions, rules
from sigap_status.auth.dependencies import active_staff
from sigap_status.bootstrap import create_app as create_status_app
from sigap_status.errors import Forbidden
from sigap_status.settings import StatusSettings

METHODS = ("get", "put", "post", "delete", "patch")

# Every operation anyone may call without a token. A new operation lands here only by a
# decision: one that forgot its role dependency fails this test instead of going out open.
PUBLIC = {
    "intake": {
        "GET /healthz",
        "GET /readyz",
        "POST /v1/complaints",
        "POST /v1/capture-sessions",
        "POST /v1/photos",
        "GET /v1/photos/{photo_id}/public",
        "GET /v1/track/{tracking_code}",
        "POST /v1/track/{tracking_code}/information",
        "POST /v1/track/{tracking_code}/rating",
        "POST /v1/track/{tracking_code}/reopen",
        # personal-data requests: the follow-up token proves who asks
        "POST /v1/track/{tracking_code}/privacy-requests",
        "GET /v1/track/{tracking_code}/privacy-requests",
        "GET /open311/v2/discovery.{fmt}",
        "GET /open311/v2/services.{fmt}",
        "GET /open311/v2/services/{service_code}.{fmt}",
        "POST /open311/v2/requests.{fmt}",
        "GET /open311/v2/requests.{fmt}",
        "GET /open311/v2/requests/{service_request_id}.{fmt}",
        "GET /open311/v2/tokens/{token}.{fmt}",
    },
    "routing": {
        "GET /healthz",
        "GET /readyz",
        "POST /v1/routing/preview",
        "GET /v1/routing/departments",
        "GET /v1/routing/areas/kelurahan",
        "GET /v1/routing/categories",
    },
    "status": {
        "GET /healthz",
        "GET /readyz",
        "GET /v1/complaints/{complaint_id}",
        "POST /v1/auth/login",
        "POST /v1/auth/refresh",
        "POST /v1/auth/setup-password",
        "GET /v1/public/complaints",
        "GET /v1/public/departments/performance",
        "GET /v1/public/kelurahan",
        # only a complaint's SP4N-LAPOR! stage, for the citizen's tracking page (docs/lapor.md)
        "GET /v1/track/{tracking_code}/lapor-stage",
    },
    "notify": {
        "GET /healthz",
        "GET /readyz",
        "POST /v1/subscriptions",
        "GET /v1/push/public-key",
        "GET /asyncapi.json",
    },
}

# The dependencies that establish who is calling (401 without a valid token); every staff
# operation's roles are then narrowed by role gates, which take the principal and refuse.
IDENTITY = {verified_staff, current_staff, active_staff}


def _apps() -> dict[str, FastAPI]:
    return {
        "intake": create_intake_app(IntakeSettings()),
        "routing": create_routing_app(RoutingSettings()),
        "status": create_status_app(StatusSettings()),
        "notify": create_notify_app(NotifySettings()),
    }


APPS = _apps()


def _operations(document):
    for path, item in document["paths"].items():
        for method, operation in item.items():
            if method in METHODS:
                yield f"{method.upper()} {path}", operation


@pytest.mark.parametrize("service", sorted(APPS))
def test_every_operation_is_for_staff_with_roles_internal_or_explicitly_public(service):
    document = APPS[service].openapi()
    schemes = document["components"]["securitySchemes"]
    assert schemes[STAFF_SCHEME] == {**schemes[STAFF_SCHEME], "type": "http", "scheme": "bearer"}
    public = set()
    for name, operation in _operations(document):
        access = operation["x-sigap-access"]
        if access == "staff":
            assert operation["security"] == [{STAFF_SCHEME: []}], name
            assert operation["x-sigap-roles"], name
            assert set(operation["x-sigap-roles"]) <= set(ROLES), name
            assert "Who may call:** staff" in operation["description"], name
        elif access == "internal":
            assert name.split(" ")[1].startswith("/internal/"), name
            assert operation["security"] == [{INTERNAL_SCHEME: []}], name
        else:
            assert access == "public", name
            assert "security" not in operation, name
            public.add(name)
    assert public == PUBLIC[service]


def _gates(dependant: Dependant):
    pending = list(dependant.dependencies)
    while pending:
        current = pending.pop()
        if roles_declared_by(current.call) is not None and current.call not in IDENTITY:
            yield current.call
        pending.extend(current.dependencies)


async def _admits(gate, role: str) -> bool:
    principal = StaffPrincipal(
        username="someone", role=role, department="DISHUB" if role in ("dept_admin", "field_officer") else None
    )
    (parameter,) = inspect.signature(gate).parameters
    try:
        answer = gate(**{parameter: principal})
        if inspect.isawaitable(answer):
            await answer
    except Problem as refusal:
        assert refusal.status == 403
        return False
    except Forbidden:  # status's own refusal, answered 403 by its error table
        return False
    return True


@pytest.mark.parametrize("service", sorted(APPS))
async def test_the_documented_roles_are_those_the_route_dependencies_admit(service):
    app = APPS[service]
    document = app.openapi()
    checked = 0
    for context in iter_route_contexts(app.routes):
        if not isinstance(context.original_route, APIRoute) or not context.include_in_schema:
            continue
        admitted = set(ROLES)
        for gate in _gates(context.dependant):
            admitted &= {role for role in ROLES if await _admits(gate, role)}
        for method in context.methods:
            operation = document["paths"][context.path_format][method.lower()]
            if operation["x-sigap-access"] == "staff":
                assert set(operation["x-sigap-roles"]) == admitted, f"{method} {context.path_format}"
                checked += 1
    assert checked or service == "intake"


async def test_a_gate_that_declares_more_roles_than_it_admits_is_caught():
    @declares_roles("city_admin", "dept_admin")
    async def only_city_admin(staff: StaffPrincipal) -> StaffPrincipal:
        if staff.role != "city_admin":
            raise role_refused(staff.role, ["city_admin"])
        return staff

    admitted = {role for role in ROLES if await _admits(only_city_admin, role)}
    assert admitted == {"city_admin"} != roles_declared_by(only_city_admin)


def test_the_lifecycle_operations_describe_who_moves_a_complaint_where():
    document = APPS["status"].openapi()
    transitions = document["paths"]["/v1/complaints/{complaint_id}/transitions"]["post"]["description"]
    for (current, wanted), actors in rules.PERMITTED.items():
        row = next(line for line in transitions.splitlines() if line.startswith(f"| `{current}` | `{wanted}` |"))
        for role in ROLES:
            assert (f"`{role}`" in row) == (role in actors), row
    for needed in ("resolution_note", "after_photo_ids", "verified_live", "expected_version", "reason"):
        assert needed in transitions
    assignment = document["paths"]["/v1/complaints/{complaint_id}/assignment"]["put"]
    assert "field officer" in assignment["description"] and "`officer: null`" in assignment["description"]
    assert assignment["x-sigap-roles"] == ["city_admin", "dept_admin"]
    waiting = document["paths"]["/v1/complaints/{complaint_id}/waiting-for-reporter"]["put"]
    assert waiting["x-sigap-roles"] == list(descriptions.ACTING_ROLES)


def test_the_follow_up_token_is_required_where_the_reporter_acts_and_optional_for_tracking():
    paths = APPS["intake"].openapi()["paths"]

    def token_parameter(path, method):
        (parameter,) = [p for p in paths[path][method]["parameters"] if p["name"].lower() == "x-follow-up-token"]
        return parameter

    for action in ("information", "rating", "reopen", "privacy-requests"):
        assert token_parameter(f"/v1/track/{{tracking_code}}/{action}", "post")["required"] is True
    assert token_parameter("/v1/track/{tracking_code}/privacy-requests", "get")["required"] is True
    assert token_parameter("/v1/track/{tracking_code}", "get").get("required", False) is False
