"""Open311 GeoReport v2 at /open311/v2 (http://wiki.open311.org/GeoReport_v2): discovery,
services, service definitions, posting and reading requests, tokens; every resource in
`.json` and `.xml`, errors in the specification's own format (not problem+json).

A request's `service_request_id` is its complaint id, the same id the public transparency API
uses. The tracking code, which with the follow-up token is the reporter's key, goes only to the
client that posted the request (with its token). Only public reports are listed; confidential
and anonymous ones exist for their reporters alone."""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping
from datetime import UTC, datetime, timedelta
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import Response
from fastapi.routing import APIRoute
from pydantic import ValidationError

from sigap_intake import domain
from sigap_intake.complaints import commands as complaint_commands
from sigap_intake.context import Context
from sigap_intake.follow_up.rules import CLOSED_STATUSES
from sigap_intake.open311 import repository
from sigap_intake.open311.format import (
    Open311Error,
    answers_open311_errors,
    complaint_id_of,
    parse_time,
    render,
    request_view,
)
from sigap_shared.events import GeoPoint
from sigap_shared.problems import Text, preferred_language
from sigap_shared.runtime import Conn

SPECIFICATION = "http://wiki.open311.org/GeoReport_v2"
CHANGESET = "2026-11-27T00:00:00Z"
WINDOW = timedelta(days=90)

PREFIX = "/open311/v2"
# Every resource answers in the format its extension names, errors too (the specification's own
# error list, not problem+json); an unknown extension is answered in JSON.
_BOTH_FORMATS = {"content": {"application/json": {}, "text/xml": {}}}
router = APIRouter(
    prefix=PREFIX,
    tags=["open311"],
    responses={
        200: {"description": "The resource, in the format of the extension (.json or .xml)", **_BOTH_FORMATS},
        400: {"description": "Open311 error list: bad parameters or an unknown format", **_BOTH_FORMATS},
        403: {"description": "Open311 error list: api_key missing or invalid", **_BOTH_FORMATS},
        404: {"description": "Open311 error list: no such service, request or token", **_BOTH_FORMATS},
    },
)


def _services(context: Context) -> list[dict[str, Any]]:
    return [
        {
            "service_code": service["code"],
            "service_name": service["name"],
            "description": service.get("description", service["name"]),
            "metadata": False,
            "type": "realtime",
            "keywords": service.get("keywords", ""),
            "group": service.get("group", ""),
        }
        for service in context.settings.open311_services
    ]


def _public_base(request: Request, context: Context) -> str:
    return (context.settings.public_base_url or str(request.base_url)).rstrip("/")


# Routes are registered with explicit paths: `{fmt}` shares a segment with the resource name.


@router.get("/discovery.{fmt}", summary="Open311 discovery")
@answers_open311_errors
async def discovery(request: Request, fmt: str, context: Context) -> Response:
    # Without a trailing slash: clients append `/services.xml` and the like to it.
    base = _public_base(request, context) + PREFIX
    body = {
        "changeset": CHANGESET,
        "contact": context.settings.open311_contact,
        "key_service": "Hubungi Diskominfo Kota Depok untuk api_key / contact Diskominfo Depok for an api_key",
        "endpoints": [
            {
                "specification": SPECIFICATION,
                "url": base,
                "changeset": CHANGESET,
                "type": "production",
                "formats": ["text/xml", "application/json"],
            }
        ],
    }
    return render(fmt, body, root="discovery")


@router.get("/services.{fmt}", summary="Open311 service list (Sigap categories)")
@answers_open311_errors
async def services(request: Request, fmt: str, context: Context) -> Response:
    return render(fmt, _services(context), root="services", item="service")


@router.get("/services/{service_code}.{fmt}", summary="Open311 service definition")
@answers_open311_errors
async def service_definition(request: Request, service_code: str, fmt: str, context: Context) -> Response:
    if service_code not in {service["code"] for service in context.settings.open311_services}:
        raise Open311Error(404, Text("service_code tidak dikenal.", "Unknown service_code."))
    # Sigap asks no extra attributes: the description, location and photos say it all.
    return render(fmt, {"service_code": service_code, "attributes": []}, root="service_definition")


def _reporter(form: Mapping[str, str]) -> domain.ReporterContact | None:
    from sigap_intake.complaints.router import ReporterIn

    name = " ".join(part for part in (form.get("first_name"), form.get("last_name")) if part) or None
    try:
        reporter = ReporterIn(name=name, phone=form.get("phone") or None, email=form.get("email") or None)
    except ValidationError as exc:
        fields = ", ".join(str(error["loc"][0]) for error in exc.errors())
        raise Open311Error(
            400, Text(f"Data pelapor tidak valid: {fields}.", f"Invalid reporter data: {fields}.")
        ) from None
    contact = domain.ReporterContact(name=reporter.name, phone=reporter.phone, email=reporter.email)
    return None if contact.is_empty else contact


def _command(form: Mapping[str, str], context: Context) -> domain.SubmitComplaint:
    if form.get("service_code") not in {service["code"] for service in context.settings.open311_services}:
        raise Open311Error(400, Text("service_code wajib diisi dan harus dikenal.", "service_code is required and must be known."))
    point = None
    if form.get("lat") or form.get("long"):
        try:
            point = GeoPoint(lat=float(form.get("lat", "")), lon=float(form.get("long", "")))
        except (ValueError, ValidationError):
            raise Open311Error(400, Text("lat dan long harus angka koordinat yang valid.", "lat and long must be valid coordinates.")) from None
    address = (form.get("address_string") or "").strip() or None
    if point is None and address is None:
        raise Open311Error(
            400, Text("Sertakan lat & long atau address_string.", "Give lat & long or address_string.")
        )
    description = (form.get("description") or "").strip()
    if not 10 <= len(description) <= 4000:
        raise Open311Error(400, Text("description wajib, 10 sampai 4000 karakter.", "description is required, 10 to 4000 characters."))
    return domain.SubmitComplaint(
        kind="pengaduan",
        description=description,
        category=None if form["service_code"] == "lainnya" else form["service_code"],
        location=point,
        address=address[:500] if address else None,
        privacy="publik",
        reporter=_reporter(form),
    )


def _check_api_key(form: Mapping[str, str], context: Context) -> None:
    import hmac

    given = (form.get("api_key") or "").encode()
    if not given or not any(
        hmac.compare_digest(given, key.get_secret_value().encode()) for key in context.settings.open311_api_keys
    ):
        raise Open311Error(403, Text("api_key tidak ada atau tidak valid.", "api_key is missing or invalid."))


@router.post(
    "/requests.{fmt}",
    status_code=201,
    responses={201: {"description": "The new request's id and token", **_BOTH_FORMATS}},
    summary="Open311: post a service request (form-encoded, api_key required)",
)
@answers_open311_errors
async def post_request(request: Request, fmt: str, conn: Conn, context: Context) -> Response:
    form = {key: value for key, value in (await request.form()).items() if isinstance(value, str)}
    _check_api_key(form, context)
    command = _command(form, context)
    # Open311 clients cannot run a capture session: their reports carry no live photo,
    # which staff see as a missing photo verdict.
    policy = dataclasses.replace(context.policy, min_photos=0)
    try:
        outcome = await complaint_commands.submit_complaint(
            conn=conn, command=command, sealer=context.sealer, policy=policy
        )
    except domain.IntakeError as error:
        raise Open311Error(400, error.message) from None
    receipt = domain.ComplaintReceipt.from_json(outcome.body)
    body = [
        {
            "service_request_id": str(receipt.id),
            "token": receipt.follow_up_token,
            "tracking_code": receipt.tracking_code,
            "service_notice": Text(
                "Laporan diterima; dinas yang menangani ditentukan otomatis.",
                "Report received; the responsible department is chosen automatically.",
            ).pick(preferred_language(request)),
            "account_id": None,
        }
    ]
    return render(fmt, body, root="service_requests", item="request", status=201)


@router.get("/requests.{fmt}", summary="Open311: list service requests (90-day window)")
@answers_open311_errors
async def get_requests(request: Request, fmt: str, conn: Conn, context: Context) -> Response:
    params = request.query_params
    wanted = [part.strip() for part in params.get("service_request_id", "").split(",") if part.strip()]
    ids = [complaint_id for complaint_id in map(complaint_id_of, wanted) if complaint_id] if wanted else None
    end = parse_time(params.get("end_date"), "end_date") or datetime.now(UTC)
    start = parse_time(params.get("start_date"), "start_date") or end - WINDOW
    if end < start or end - start > WINDOW:
        raise Open311Error(
            400, Text("Rentang start_date..end_date harus 0 sampai 90 hari.", "start_date..end_date must span 0 to 90 days.")
        )
    statuses = {part.strip() for part in params.get("status", "").split(",") if part.strip()}
    if statuses - {"open", "closed"}:
        raise Open311Error(400, Text("status harus open atau closed.", "status must be open or closed."))
    closed = None if len(statuses) != 1 else statuses == {"closed"}
    rows = await repository.open311_requests(
        conn=conn,
        complaint_ids=ids,
        category=params.get("service_code") or None,
        start=start,
        end=end,
        closed=closed,
        closed_statuses=sorted(CLOSED_STATUSES),
    )
    names = {service["code"]: service["name"] for service in context.settings.open311_services}
    views = [request_view(row, names, _public_base(request, context)) for row in rows]
    return render(fmt, views, root="service_requests", item="request")


@router.get("/requests/{service_request_id}.{fmt}", summary="Open311: one service request")
@answers_open311_errors
async def get_request(request: Request, service_request_id: str, fmt: str, conn: Conn, context: Context) -> Response:
    complaint_id = complaint_id_of(service_request_id)
    rows = await repository.open311_requests(
        conn=conn,
        complaint_ids=[complaint_id] if complaint_id else [],
        category=None,
        start=datetime.min.replace(tzinfo=UTC),
        end=datetime.now(UTC),
        closed=None,
        closed_statuses=sorted(CLOSED_STATUSES),
    )
    if not rows:
        raise Open311Error(404, Text("service_request_id tidak ditemukan.", "service_request_id not found."))
    names = {service["code"]: service["name"] for service in context.settings.open311_services}
    view = request_view(rows[0], names, _public_base(request, context))
    return render(fmt, [view], root="service_requests", item="request")


@router.get("/tokens/{token}.{fmt}", summary="Open311: the service_request_id of a token from POST requests")
@answers_open311_errors
async def get_token(request: Request, token: str, fmt: str, conn: Conn) -> Response:
    complaint_id = await repository.complaint_id_by_token_hash(conn=conn, token_hash=domain.hash_token(token))
    if complaint_id is None:
        raise Open311Error(404, Text("token tidak ditemukan.", "token not found."))
    return render(
        fmt, [{"service_request_id": str(complaint_id), "token": token}], root="service_requests", item="request"
    )


def _accept_doubled_slash() -> None:
    """Answer `/open311/v2//services.xml` as `/open311/v2/services.xml`: clients that were
    given the endpoint with a trailing slash join resources with a second one. The doubled
    paths are not documented a second time."""
    for route in list(router.routes):
        assert isinstance(route, APIRoute)
        router.add_api_route(
            "/" + route.path.removeprefix(PREFIX),
            route.endpoint,
            methods=sorted(route.methods),
            include_in_schema=False,
        )


_accept_doubled_slash()
