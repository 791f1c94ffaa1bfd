"""The CSRF check every state-changing request passes (an app-wide dependency, so no route can
forget it): it must come from this origin and carry the token for this visitor's CSRF cookie
and staff session, in the X-CSRF-Token header (page scripts) or the csrf_token form field."""

from __future__ import annotations

from fastapi import Request

from sigap_web.context import WebContext, WebState
from sigap_web.security import CSRF_FIELD, CSRF_HEADER, SAFE_METHODS, from_this_origin

_FORMS = ("application/x-www-form-urlencoded", "multipart/form-data")


async def csrf_protected(request: Request) -> None:
    if request.method in SAFE_METHODS:
        return
    context: WebContext = request.app.state.web
    state: WebState = request.state.web
    if not from_this_origin(request, context.settings.web_public_origin):
        raise context.catalogues.problem(status=403, slug="cross-site-request")
    token = request.headers.get(CSRF_HEADER)
    if token is None and request.headers.get("content-type", "").startswith(_FORMS):
        # Starlette keeps the parsed form on the request, so the route reads it again for free.
        form = await request.form()
        field = form.get(CSRF_FIELD)
        token = field if isinstance(field, str) else None
    session_id = state.session.sid if state.session else None
    if state.new_csrf_id or not context.csrf.valid(token, csrf_id=state.csrf_id, session_id=session_id):
        raise context.catalogues.problem(status=403, slug="csrf-token-invalid")
