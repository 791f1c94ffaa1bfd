"""The city admin's settings pages: SLA targets and days off (read-only: they are status's
settings), the routing taxonomy (view, versions, edit as JSON with routing's validation errors
shown), message templates (view, preview with example values, edit) and department webhooks
(list, add with the secret shown once, remove). Everything through the services' own APIs;
a saved change answers 303 to its page with the outcome shown once (Post/Redirect/Get)."""

from __future__ import annotations

import asyncio
import json
from typing import Annotated, Any, Literal
from urllib.parse import quote

from fastapi import APIRouter, Form, Path, Query, Request
from fastapi.responses import Response

from sigap_shared.problems import Problem, Text
from sigap_web.admin.common import CityAdmin, call, form_status, render
from sigap_web.clients import UpstreamRefused
from sigap_web.context import Context, State
from sigap_web.flash import redirect_saying

router = APIRouter(include_in_schema=False)

TemplateKey = Annotated[str, Path(pattern=r"^[a-z][a-z0-9_.]{2,63}$")]
Language = Annotated[Literal["id", "en"], Path()]
DepartmentCode = Annotated[str, Path(pattern=r"^[A-Z][A-Z0-9_]{1,31}$")]


def problem_messages(refused: UpstreamRefused) -> list[str]:
    """Every message in a service's problem: each field's (with the field named), or its detail."""
    messages = []
    for error in refused.problem.get("errors") or ():
        if isinstance(error, dict):
            field = error.get("field")
            messages.append(f"{field}: {error.get('message')}" if field and field != "(body)" else str(error.get("message")))
        else:
            messages.append(str(error))
    detail = refused.message
    return [detail, *messages] if detail and detail not in messages else messages or [detail]


# -- SLA ---------------------------------------------------------------------------------------


@router.get("/admin/sla")
async def sla_page(request: Request, context: Context, staff: CityAdmin) -> Response:
    upstreams = context.upstreams
    sla, taxonomy = await asyncio.gather(
        upstreams.status.get_json("/v1/staff/sla-settings", call(request, staff)),
        upstreams.routing.get_json("/v1/routing/admin/taxonomy", call(request, staff)),
    )
    overrides = {entry["category"]: entry for entry in sla["per_category"]}
    departments = {d["code"]: d["name"] for d in taxonomy["taxonomy"]["departments"]}
    rows = []
    for category in taxonomy["taxonomy"]["categories"]:
        override = overrides.get(category["code"])
        rows.append(
            {
                "code": category["code"],
                "name": category["name"],
                "department": category.get("department") or "",
                "department_name": departments.get(category.get("department") or "", ""),
                "scope": category.get("scope", "department"),
                "verify_days": override["verify_days"] if override else sla["verify_days"],
                "finish_days": override["finish_days"] if override else sla["finish_days"],
                "overridden": override is not None,
            }
        )
    rows.sort(key=lambda row: (row["department"] or "~", row["code"]))
    return render(request, "admin/sla.html", sla=sla, rows=rows)


# -- taxonomy ----------------------------------------------------------------------------------


async def _taxonomy_page(
    request: Request,
    context: Context,
    staff,
    *,
    document: str | None = None,
    comment: str = "",
    errors: list[str] | None = None,
    status_code: int = 200,
) -> Response:
    routing = context.upstreams.routing
    active, versions = await asyncio.gather(
        routing.get_json("/v1/routing/admin/taxonomy", call(request, staff)),
        routing.get_json("/v1/routing/admin/taxonomy/versions", call(request, staff)),
    )
    return render(
        request,
        "admin/taxonomy.html",
        status_code=status_code,
        active=active,
        versions=versions,
        document=document if document is not None else json.dumps(active["taxonomy"], ensure_ascii=False, indent=2),
        comment=comment,
        errors=errors or [],
    )


@router.get("/admin/taksonomi")
async def taxonomy_page(request: Request, context: Context, staff: CityAdmin) -> Response:
    return await _taxonomy_page(request, context, staff)


@router.post("/admin/taksonomi")
async def save_taxonomy(
    request: Request,
    context: Context,
    state: State,
    staff: CityAdmin,
    document: Annotated[str, Form(max_length=2_000_000)] = "",
    comment: Annotated[str, Form(max_length=500)] = "",
) -> Response:
    t = context.catalogues[state.lang]
    try:
        taxonomy = json.loads(document)
    except ValueError as exc:
        message = t("admin.taxonomy.bad_json", line=getattr(exc, "lineno", "?"), column=getattr(exc, "colno", "?"))
        return await _taxonomy_page(
            request, context, staff, document=document, comment=comment, errors=[message], status_code=422
        )
    try:
        saved = await context.upstreams.routing.request(
            "PUT",
            "/v1/routing/admin/taxonomy",
            call(request, staff),
            json={"comment": comment.strip() or None, "taxonomy": taxonomy},
        )
    except UpstreamRefused as refused:
        if refused.status not in (409, 422):
            raise
        return await _taxonomy_page(
            request,
            context,
            staff,
            document=document,
            comment=comment,
            errors=problem_messages(refused),
            status_code=refused.status,
        )
    return redirect_saying(request, "/admin/taksonomi", "admin.taxonomy.saved", version=saved.json()["version"])


@router.get("/admin/taksonomi/versi/{version}")
async def taxonomy_version(
    request: Request, context: Context, staff: CityAdmin, version: Annotated[int, Path(ge=1, le=2_147_483_647)]
) -> Response:
    stored = await context.upstreams.routing.get_json(f"/v1/routing/admin/taxonomy/versions/{version}", call(request, staff))
    return render(
        request,
        "admin/taxonomy_version.html",
        stored=stored,
        document=json.dumps(stored["taxonomy"], ensure_ascii=False, indent=2),
    )


# -- message templates -------------------------------------------------------------------------


@router.get("/admin/templat")
async def templates_page(request: Request, context: Context, staff: CityAdmin) -> Response:
    templates = await context.upstreams.notify.get_json("/v1/templates", call(request, staff))
    return render(request, "admin/templates.html", templates=templates)


async def _template(request: Request, context: Context, staff, key: str, language: str) -> dict[str, Any] | None:
    templates = await context.upstreams.notify.get_json("/v1/templates", call(request, staff))
    return next((t for t in templates if t["key"] == key and t["language"] == language), None)


async def _preview(request: Request, context: Context, staff, subject: str, body: str) -> dict[str, Any]:
    return await context.upstreams.notify.post_json(
        "/v1/templates/preview", call(request, staff), json={"subject": subject, "body": body}
    )


@router.get("/admin/templat/{key}/{language}")
async def template_page(
    request: Request,
    context: Context,
    staff: CityAdmin,
    key: TemplateKey,
    language: Language,
) -> Response:
    template = await _template(request, context, staff, key, language)
    if template is None:
        raise _template_not_found()
    preview = await _preview(request, context, staff, template["subject"], template["body"])
    return render(
        request,
        "admin/template.html",
        key=key,
        language=language,
        template=template,
        subject=template["subject"],
        body=template["body"],
        preview=preview,
        errors=[],
    )


@router.post("/admin/templat/{key}/{language}")
async def save_template(
    request: Request,
    context: Context,
    staff: CityAdmin,
    key: TemplateKey,
    language: Language,
    subject: Annotated[str, Form(max_length=300)] = "",
    body: Annotated[str, Form(max_length=10000)] = "",
    action: Annotated[Literal["preview", "save"], Form()] = "preview",
) -> Response:
    template = await _template(request, context, staff, key, language)
    if template is None:
        raise _template_not_found()
    errors: list[str] = []
    status_code = 200
    if action == "save":
        try:
            await context.upstreams.notify.request(
                "PUT", f"/v1/templates/{key}/{language}", call(request, staff), json={"subject": subject, "body": body}
            )
        except UpstreamRefused as refused:
            if refused.status != 422:
                raise
            errors, status_code = problem_messages(refused), form_status(refused)
        else:
            return redirect_saying(request, f"/admin/templat/{key}/{language}", "admin.templates.saved")
    preview = await _preview(request, context, staff, subject[:300], body[:10000])
    return render(
        request,
        "admin/template.html",
        status_code=status_code,
        key=key,
        language=language,
        template=template,
        subject=subject,
        body=body,
        preview=preview,
        errors=errors,
    )


def _template_not_found() -> Problem:
    return Problem(
        status=404,
        slug="template-not-found",
        title=Text("Templat tidak ditemukan", "Template not found"),
        detail=Text("Tidak ada templat dengan kunci dan bahasa ini.", "There is no template with this key and language."),
    )


# -- department webhooks -----------------------------------------------------------------------


async def _webhooks_page(
    request: Request,
    context: Context,
    staff,
    *,
    department: str | None,
    url: str = "",
    errors: list[str] | None = None,
    status_code: int = 200,
) -> Response:
    departments = await context.departments.names(call(request, staff))
    webhooks = []
    if department:
        webhooks = await context.upstreams.notify.get_json(f"/v1/departments/{department}/webhooks", call(request, staff))
    return render(
        request,
        "admin/webhooks.html",
        status_code=status_code,
        departments={code: name for code, name in departments.items() if not code.startswith(("KEC-", "KEL-"))},
        department=department or "",
        webhooks=[w for w in webhooks if w.get("active", True)],
        url=url,
        errors=errors or [],
    )


@router.get("/admin/webhook")
async def webhooks_page(
    request: Request,
    context: Context,
    staff: CityAdmin,
    dinas: Annotated[str | None, Query(pattern=r"^[A-Z][A-Z0-9_]{1,31}$")] = None,
) -> Response:
    return await _webhooks_page(request, context, staff, department=dinas)


@router.post("/admin/webhook/{department}")
async def add_webhook(
    request: Request,
    context: Context,
    staff: CityAdmin,
    department: DepartmentCode,
    url: Annotated[str, Form(max_length=2000)] = "",
) -> Response:
    try:
        created = await context.upstreams.notify.post_json(
            f"/v1/departments/{department}/webhooks", call(request, staff), json={"url": url.strip()}
        )
    except UpstreamRefused as refused:
        if refused.status != 422:
            raise
        return await _webhooks_page(
            request, context, staff, department=department, url=url, errors=problem_messages(refused), status_code=422
        )
    # The secret is shown once, on the page the browser is sent to (in the sealed flash).
    return redirect_saying(
        request, f"/admin/webhook?dinas={quote(department)}", "admin.webhooks.created", data={"webhook": created}
    )


@router.post("/admin/webhook/{department}/{webhook_id}/hapus")
async def remove_webhook(
    request: Request,
    context: Context,
    staff: CityAdmin,
    department: DepartmentCode,
    webhook_id: Annotated[str, Path(pattern=r"^[0-9a-f-]{36}$")],
) -> Response:
    await context.upstreams.notify.request(
        "DELETE", f"/v1/departments/{department}/webhooks/{webhook_id}", call(request, staff)
    )
    return redirect_saying(request, f"/admin/webhook?dinas={quote(department)}", "admin.webhooks.removed")
