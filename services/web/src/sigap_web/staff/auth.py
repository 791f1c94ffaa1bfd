"""Staff login and logout, and `require_staff`: the dependency every staff page uses. It keeps
status's access token fresh (refreshing it shortly before it expires) and sends anyone without
a session, or with the wrong role, to the login page. Concurrent requests that find the same
expired token share one refresh, since status rotates refresh tokens and a second use of the
old one would fail."""

from __future__ import annotations

import asyncio
import hashlib
from collections.abc import Awaitable, Callable
from typing import Annotated
from urllib.parse import quote

from fastapi import APIRouter, Depends, Form, Request
from fastapi.responses import RedirectResponse, Response

from sigap_web.clients import UpstreamRefused
from sigap_web.context import Context, State, WebContext, WebState, call_for
from sigap_web.session import StaffSession

router = APIRouter(include_in_schema=False)

STAFF_ROLES = ("city_admin", "dept_admin", "auditor", "field_officer", "dpo")
# Where each role lands after login; the dashboard and the officer view extend this.
HOME: dict[str, str] = {role: "/dasbor" for role in STAFF_ROLES}
HOME["field_officer"] = "/tugas"
# The data protection officer sees no complaint queue: their work is the personal-data requests.
HOME["dpo"] = "/pelindungan-data"

_refreshing: dict[str, asyncio.Future[StaffSession | None]] = {}


class LoginRequired(Exception):
    """Raised by `require_staff`; answered with a redirect to the login page."""


async def _refresh(context: WebContext, request: Request, state: WebState, session: StaffSession) -> StaffSession | None:
    key = hashlib.sha256(session.refresh_token.encode()).hexdigest()
    pending = _refreshing.get(key)
    if pending is not None:
        return await asyncio.shield(pending)
    future: asyncio.Future[StaffSession | None] = asyncio.get_running_loop().create_future()
    _refreshing[key] = future
    try:
        answer = await context.upstreams.status.refresh(call_for(request, state), refresh_token=session.refresh_token)
        fresh: StaffSession | None = session.refreshed(answer)
    except UpstreamRefused:
        fresh = None
    except BaseException as exc:
        future.set_exception(exc)
        raise
    else:
        future.set_result(fresh)
    finally:
        # Late requests still holding the old token find the answer for a little while.
        asyncio.get_running_loop().call_later(30, _refreshing.pop, key, None)
    return fresh


def require_staff(*roles: str) -> Callable[..., Awaitable[StaffSession]]:
    allowed = roles or STAFF_ROLES

    async def dependency(request: Request, context: Context, state: State) -> StaffSession:
        session = state.session
        if session is not None and session.needs_refresh():
            session = await _refresh(context, request, state, session)
            state.set_session(session)
        if session is None:
            raise LoginRequired()
        if session.role not in allowed:
            raise context.catalogues.problem(status=403, slug="forbidden")
        return session

    return dependency


AnyStaff = Annotated[StaffSession, Depends(require_staff())]


def login_redirect(request: Request, exc: LoginRequired) -> Response:
    target = request.url.path + (f"?{request.url.query}" if request.url.query else "")
    return RedirectResponse(f"/masuk?next={quote(target, safe='/')}", status_code=303)


def _safe_next(next_path: str | None, role: str) -> str:
    # Only a path on this site: "//evil.example" and "https://..." would leave it.
    if next_path and next_path.startswith("/") and not next_path.startswith("//") and "\\" not in next_path:
        return next_path
    return HOME.get(role, "/dasbor")


@router.get("/masuk")
async def login_page(request: Request, next: str | None = None) -> Response:  # noqa: A002 - the query name
    return request.app.state.templates.render(request, "staff/login.html", next=next or "", error=None, username="")


@router.post("/masuk")
async def login(
    request: Request,
    context: Context,
    state: State,
    username: Annotated[str, Form(min_length=1, max_length=64)],
    password: Annotated[str, Form(min_length=1, max_length=1024)],
    next: Annotated[str | None, Form(max_length=2000)] = None,  # noqa: A002
) -> Response:
    try:
        answer = await context.upstreams.status.login(call_for(request, state), username=username, password=password)
    except UpstreamRefused as refused:
        if refused.status not in (401, 422, 429):
            raise
        return request.app.state.templates.render(
            request,
            "staff/login.html",
            status_code=refused.status,
            next=next or "",
            error=refused.message,
            username=username,
        )
    session = StaffSession.from_login(answer)
    state.set_session(session)
    return RedirectResponse(_safe_next(next, session.role), status_code=303)


@router.post("/keluar")
async def logout(request: Request, state: State) -> Response:
    state.set_session(None)
    return RedirectResponse("/masuk", status_code=303)

