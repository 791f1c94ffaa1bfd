"""Staff accounts for the city admin (`/admin/akun`): list by department, create with a role
and department, deactivate and reactivate, reset a password. The admin never sees or chooses
anyone's password: creating or resetting shows a one-time setup code and link, once, which
the account's owner uses at `/atur-sandi` to choose their own. All of it through status's
staff-accounts API (services/status/STAFF_ACCOUNTS.md). Every action answers 303 to a page
(Post/Redirect/Get) with its outcome shown once; the setup code travels in the sealed
one-time flash, so a reload neither shows it again nor makes another."""

from __future__ import annotations

from typing import Annotated
from urllib.parse import quote

from fastapi import APIRouter, Form, Path, Query, Request
from fastapi.responses import RedirectResponse, Response

from sigap_web.admin.common import CityAdmin, call, field_errors, form_status, public_origin, render
from sigap_web.clients import UpstreamRefused
from sigap_web.context import Context, State, call_for
from sigap_web.flash import redirect_saying, redirect_with

router = APIRouter(include_in_schema=False)

ROLES = ("dept_admin", "field_officer", "city_admin", "auditor", "dpo")
DEPARTMENT_ROLES = ("dept_admin", "field_officer")
Username = Annotated[str, Path(pattern=r"^[a-z0-9][a-z0-9._-]{2,63}$")]


async def _departments(request: Request, context: Context, staff) -> dict[str, str]:
    return await context.departments.names(call(request, staff))


async def _accounts_page(
    request: Request,
    context: Context,
    staff,
    *,
    department: str | None,
    form: dict[str, str] | None = None,
    errors: dict[str, str] | None = None,
    status_code: int = 200,
) -> Response:
    params = {"department": department} if department else None
    accounts = await context.upstreams.status.get_json("/v1/staff-accounts", call(request, staff), params=params)
    return render(
        request,
        "admin/accounts.html",
        status_code=status_code,
        accounts=accounts,
        department=department or "",
        departments=await _departments(request, context, staff),
        roles=ROLES,
        form=form or {"username": "", "role": "dept_admin", "department": department or ""},
        errors=errors or {},
    )


@router.get("/admin")
async def admin_home(request: Request, staff: CityAdmin) -> Response:
    return render(request, "admin/index.html")


@router.get("/admin/akun")
async def accounts_page(
    request: Request,
    context: Context,
    staff: CityAdmin,
    departemen: Annotated[str | None, Query(max_length=32)] = None,
) -> Response:
    return await _accounts_page(request, context, staff, department=(departemen or "").strip().upper() or None)


@router.post("/admin/akun")
async def create_account(
    request: Request,
    context: Context,
    staff: CityAdmin,
    username: Annotated[str, Form(max_length=64)] = "",
    role: Annotated[str, Form(max_length=32)] = "",
    department: Annotated[str, Form(max_length=32)] = "",
) -> Response:
    form = {"username": username.strip(), "role": role, "department": department.strip().upper()}
    body = {
        "username": form["username"],
        "role": role,
        "department": form["department"] if role in DEPARTMENT_ROLES and form["department"] else None,
    }
    try:
        created = await context.upstreams.status.post_json("/v1/staff-accounts", call(request, staff), json=body)
    except UpstreamRefused as refused:
        if refused.status == 401:
            raise
        return await _accounts_page(
            request,
            context,
            staff,
            department=None,
            form=form,
            errors=field_errors(refused),
            status_code=form_status(refused),
        )
    username = created["account"]["username"]
    return redirect_saying(
        request,
        f"/admin/akun/{quote(username)}/kode",
        "admin.setup.created_title",
        username=username,
        data={"setup": created["setup"], "created": True},
    )


@router.get("/admin/akun/{username}")
async def account_page(
    request: Request,
    context: Context,
    staff: CityAdmin,
    username: Username,
) -> Response:
    account = await context.upstreams.status.get_json(f"/v1/staff-accounts/{username}", call(request, staff))
    return render(request, "admin/account.html", account=account, own=username == staff.username)


@router.get("/admin/akun/{username}/kode")
async def setup_code_page(
    request: Request, context: Context, state: State, staff: CityAdmin, username: Username
) -> Response:
    """The setup code a create or a reset just made, shown once; afterwards the account's page."""
    flash = state.take_flash()
    if flash is None or "setup" not in flash.data:
        return RedirectResponse(f"/admin/akun/{quote(username)}", status_code=303)
    account = await context.upstreams.status.get_json(f"/v1/staff-accounts/{username}", call(request, staff))
    return render(
        request,
        "admin/setup_code.html",
        account=account,
        setup=flash.data["setup"],
        created=bool(flash.data.get("created")),
        request_origin=public_origin(request),
    )


async def _account_action(
    request: Request, context: Context, staff, username: str, action: str, notice: str = ""
) -> Response:
    """POST `action` on the account at status; 303 to the account's page with the outcome (or
    status's refusal) shown once, or to the one-time setup code page after a reset."""
    page = f"/admin/akun/{quote(username)}"
    try:
        answer = await context.upstreams.status.request(
            "POST", f"/v1/staff-accounts/{username}/{action}", call(request, staff)
        )
    except UpstreamRefused as refused:
        if refused.status not in (404, 409):
            raise
        return redirect_with(request, page, refused.message, kind="problem")
    if action == "setup-code":
        return redirect_saying(
            request, f"{page}/kode", "admin.setup.reset_title", username=username, data={"setup": answer.json()}
        )
    return redirect_saying(request, page, f"admin.accounts.notice.{notice}", username=username)


@router.post("/admin/akun/{username}/nonaktifkan")
async def deactivate(request: Request, context: Context, staff: CityAdmin, username: Username) -> Response:
    return await _account_action(request, context, staff, username, "deactivate", notice="deactivated")


@router.post("/admin/akun/{username}/aktifkan")
async def reactivate(request: Request, context: Context, staff: CityAdmin, username: Username) -> Response:
    return await _account_action(request, context, staff, username, "reactivate", notice="reactivated")


@router.post("/admin/akun/{username}/reset")
async def reset_password(request: Request, context: Context, staff: CityAdmin, username: Username) -> Response:
    return await _account_action(request, context, staff, username, "setup-code")


# -- the new staff member's own page ------------------------------------------------------------


@router.get("/atur-sandi")
async def setup_password_page(request: Request, state: State) -> Response:
    # A setup link's code is in the fragment (/atur-sandi#kode=...): the page's script fills it in.
    flash = state.take_flash()
    done = flash is not None and bool(flash.data.get("password_set"))
    return request.app.state.templates.render(
        request, "admin/setup_password.html", form={"code": "", "username": ""}, errors={}, done=done
    )


@router.post("/atur-sandi")
async def setup_password(
    request: Request,
    context: Context,
    state: State,
    t_code: Annotated[str, Form(alias="code", max_length=64)] = "",
    username: Annotated[str, Form(max_length=64)] = "",
    password: Annotated[str, Form(max_length=1024)] = "",
    password_again: Annotated[str, Form(max_length=1024)] = "",
) -> Response:
    templates = request.app.state.templates
    form = {"code": t_code.strip(), "username": username.strip()}
    if password != password_again:
        t = context.catalogues[state.lang]
        return templates.render(
            request,
            "admin/setup_password.html",
            status_code=422,
            form=form,
            errors={"password_again": t("setup.mismatch")},
            done=False,
        )
    try:
        await context.upstreams.status.request(
            "POST",
            "/v1/auth/setup-password",
            call_for(request, state),
            json={"username": form["username"], "code": form["code"], "password": password},
        )
    except UpstreamRefused as refused:
        return templates.render(
            request,
            "admin/setup_password.html",
            status_code=form_status(refused),
            form=form,
            errors=field_errors(refused),
            done=False,
        )
    return redirect_saying(request, "/atur-sandi", "setup.done", data={"password_set": True})
