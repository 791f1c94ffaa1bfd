"""What every admin page shares: the city-admin-only dependency, rendering, calling a service
for the signed-in admin, and turning a service's problem+json into messages per form field."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import Depends, Request
from fastapi.responses import Response

from sigap_web.clients import Call, UpstreamRefused
from sigap_web.context import WebState, call_for
from sigap_web.session import StaffSession
from sigap_web.staff.auth import require_staff

CityAdmin = Annotated[StaffSession, Depends(require_staff("city_admin"))]

SECTIONS = (
    ("/admin/akun", "admin.nav.accounts"),
    ("/admin/sla", "admin.nav.sla"),
    ("/admin/taksonomi", "admin.nav.taxonomy"),
    ("/admin/templat", "admin.nav.templates"),
    ("/admin/webhook", "admin.nav.webhooks"),
    ("/admin/triase", "admin.nav.triage"),
    ("/pelindungan-data", "admin.nav.privacy"),
)


def render(request: Request, name: str, *, status_code: int = 200, **values: Any) -> Response:
    return request.app.state.templates.render(
        request, name, status_code=status_code, sections=SECTIONS, **values
    )


def call(request: Request, staff: StaffSession) -> Call:
    state: WebState = request.state.web
    return call_for(request, state, token=staff.access_token)


def field_errors(refused: UpstreamRefused) -> dict[str, str]:
    """A service's 422 as {field: message}; anything not about one field under "_"."""
    errors: dict[str, str] = {}
    for error in refused.problem.get("errors") or ():
        if isinstance(error, dict):
            field = str(error.get("field") or "_")
            errors.setdefault(field, str(error.get("message") or ""))
    if not errors:
        errors["_"] = refused.message
    return errors


def form_status(refused: UpstreamRefused) -> int:
    """The status a form page is re-rendered with after a refusal (a 5xx never reaches here)."""
    return refused.status if 400 <= refused.status < 500 else 400


def public_origin(request: Request) -> str:
    """This site's address for links people are given (a setup link), as the city configured it."""
    configured = request.app.state.web.settings.web_public_origin
    return (configured or str(request.base_url)).rstrip("/")
