"""What the routes need, built once per process (`WebContext`), and what the middleware
works out once per request (`WebState`: language, CSRF id, staff session); both reach the
routes through `Annotated` dependencies."""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from pathlib import Path
from typing import Annotated

from fastapi import Depends, Request

from sigap_web.assets import Assets
from sigap_web.clients import Call, Upstreams
from sigap_web.flash import Flash, FlashSealer
from sigap_web.lookups import Boundaries, Departments
from sigap_web.i18n import Catalogues, Language, Translator
from sigap_web.security import CsrfGuard
from sigap_web.session import SessionSealer, StaffSession
from sigap_web.settings import WebSettings

STATIC_DIR = Path(__file__).resolve().parent / "static"


@dataclass(frozen=True)
class WebContext:
    settings: WebSettings
    upstreams: Upstreams
    catalogues: Catalogues
    csrf: CsrfGuard
    sealer: SessionSealer
    flashes: FlashSealer
    assets: Assets
    departments: Departments
    boundaries: Boundaries

    @classmethod
    def from_settings(cls, settings: WebSettings, upstreams: Upstreams | None = None) -> "WebContext":
        secret = settings.web_session_secret.get_secret_value().encode()
        upstreams = upstreams or Upstreams.from_settings(settings)
        return cls(
            settings=settings,
            upstreams=upstreams,
            catalogues=Catalogues(),
            csrf=CsrfGuard(secret),
            sealer=SessionSealer(secret, max_age_s=settings.web_session_max_age_s),
            flashes=FlashSealer(secret),
            assets=Assets(static_dir=STATIC_DIR, node_modules=settings.web_node_modules),
            departments=Departments(upstreams.routing),
            boundaries=Boundaries(upstreams.routing),
        )


@dataclass
class WebState:
    lang: Language
    remember_lang: bool
    csrf_id: str
    new_csrf_id: bool
    session: StaffSession | None
    # Set when a route logs in, refreshes or logs out: the middleware writes the cookie.
    session_changed: bool = False
    correlation_id: str = field(default_factory=lambda: uuid.uuid4().hex)
    # The one-time message this request brought (`flash`), whether a page showed it (then the
    # cookie goes), and the one a form action leaves for the page it redirects to.
    flash: Flash | None = None
    flash_cookie: bool = False
    flash_taken: bool = False
    flash_out: Flash | None = None

    def take_flash(self) -> Flash | None:
        """The one-time message, once: a second call (or a second page) gets None."""
        flash, self.flash = self.flash, None
        self.flash_taken = self.flash_taken or flash is not None
        return flash

    def set_session(self, session: StaffSession | None) -> None:
        self.session = session
        self.session_changed = True


async def get_context(request: Request) -> WebContext:
    return request.app.state.web


async def get_state(request: Request) -> WebState:
    return request.state.web


Context = Annotated[WebContext, Depends(get_context)]
State = Annotated[WebState, Depends(get_state)]


def translator(context: WebContext, state: WebState) -> Translator:
    return context.catalogues[state.lang]


def call_for(request: Request, state: WebState, *, token: str | None = None) -> Call:
    """How an upstream call is made on behalf of this request."""
    return Call(
        lang=state.lang,
        token=token,
        client_ip=request.client.host if request.client else None,
        device_id=request.headers.get("x-device-id"),
        correlation_id=state.correlation_id,
    )


def csrf_token(context: WebContext, state: WebState) -> str:
    return context.csrf.token(csrf_id=state.csrf_id, session_id=state.session.sid if state.session else None)
