"""One pure-ASGI middleware for every request: it works out the language, the CSRF cookie and
the staff session before the route runs, and on the way out adds the security headers and
writes whichever of those cookies changed. Every cookie is HttpOnly, Secure and
SameSite=Strict."""

from __future__ import annotations

import re

from starlette.datastructures import MutableHeaders
from starlette.requests import Request
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from sigap_web.context import WebContext, WebState
from sigap_web.flash import FLASH_COOKIE, FLASH_MAX_AGE_S
from sigap_web.i18n import LANG_COOKIE, chosen_language
from sigap_web.security import CSRF_COOKIE, CSRF_COOKIE_MAX_AGE_S, new_csrf_id, security_headers
from sigap_web.session import SESSION_COOKIE

_CSRF_ID = re.compile(r"^[A-Za-z0-9_-]{43}$")


def cookie(name: str, value: str, *, max_age: int) -> str:
    return f"{name}={value}; Path=/; Max-Age={max_age}; HttpOnly; Secure; SameSite=Strict"


class WebMiddleware:
    def __init__(self, app: ASGIApp, *, context: WebContext) -> None:
        self.app = app
        self.context = context
        settings = context.settings
        tile_origin = None
        if settings.web_tile_url:
            scheme, _, rest = settings.web_tile_url.partition("://")
            tile_origin = f"{scheme}://{rest.split('/', 1)[0]}"
        https = (settings.web_public_origin or "").startswith("https://")
        self._headers = security_headers(tile_origin=tile_origin, https=https)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        request = Request(scope)
        cookies = request.cookies
        lang, remember_lang = chosen_language(query=request.query_params.get("lang"), cookie=cookies.get(LANG_COOKIE))
        csrf_id = cookies.get(CSRF_COOKIE, "")
        new_csrf = not _CSRF_ID.match(csrf_id)
        raw_session = cookies.get(SESSION_COOKIE)
        session = self.context.sealer.open(raw_session)
        state = WebState(
            lang=lang,
            remember_lang=remember_lang,
            csrf_id=new_csrf_id() if new_csrf else csrf_id,
            new_csrf_id=new_csrf,
            session=session,
            # A cookie that no longer opens (expired, forged, old key) is removed.
            session_changed=raw_session is not None and session is None,
        )
        raw_flash = cookies.get(FLASH_COOKIE)
        if raw_flash:
            state.flash_cookie = True
            state.flash = self.context.flashes.open(raw_flash, sid=session.sid if session else "")
        scope.setdefault("state", {})["web"] = state

        async def send_with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = MutableHeaders(scope=message)
                for name, value in self._headers:
                    if name.decode() not in headers:
                        headers.raw.append((name, value))
                if state.new_csrf_id:
                    headers.append("set-cookie", cookie(CSRF_COOKIE, state.csrf_id, max_age=CSRF_COOKIE_MAX_AGE_S))
                if state.remember_lang:
                    headers.append("set-cookie", cookie(LANG_COOKIE, state.lang, max_age=365 * 24 * 3600))
                if state.session_changed:
                    if state.session is None:
                        headers.append("set-cookie", cookie(SESSION_COOKIE, "", max_age=0))
                    else:
                        headers.append(
                            "set-cookie",
                            cookie(
                                SESSION_COOKIE,
                                self.context.sealer.seal(state.session),
                                max_age=self.context.sealer.max_age_s,
                            ),
                        )
                    # Pages behind a login are never kept by the browser's cache.
                    headers["cache-control"] = "no-store"
                if state.flash_out is not None:
                    sealed = self.context.flashes.seal(state.flash_out)
                    headers.append("set-cookie", cookie(FLASH_COOKIE, sealed, max_age=FLASH_MAX_AGE_S))
                elif state.flash_cookie and (state.flash_taken or state.flash is None):
                    # Shown once (or no longer valid): gone before the next reload.
                    headers.append("set-cookie", cookie(FLASH_COOKIE, "", max_age=0))
            await send(message)

        await self.app(scope, receive, send_with_headers)
