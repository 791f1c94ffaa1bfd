"""One-time messages across a Post/Redirect/Get: a form action answers 303 to the page that
shows its outcome, and the outcome travels in a short-lived sealed cookie (`sigap_flash`:
HttpOnly, Secure, SameSite=Strict, encrypted since it may hold something shown once, like a
revealed identity or a setup code). The first page rendered after the redirect takes it and
the answer deletes the cookie, so a reload shows the page without it and re-posts nothing.
A flash is bound to the staff session it was made in: another login cannot read it."""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import Any, Literal

from fastapi import Request
from fastapi.responses import RedirectResponse

from sigap_web.session import Sealer

FLASH_COOKIE = "sigap_flash"
# Long enough for the redirect to be followed on a slow phone; short enough that a forgotten
# flash (the redirect never followed) does not surface later.
FLASH_MAX_AGE_S = 120


@dataclass(frozen=True)
class Flash:
    text: str
    kind: Literal["notice", "problem"] = "notice"
    # Shown once with the message (a revealed identity, a setup code, a webhook's secret).
    data: dict[str, Any] = field(default_factory=dict)
    sid: str = ""


class FlashSealer(Sealer):
    def __init__(self, secret: bytes) -> None:
        super().__init__(secret, info=b"sigap-web-flash", max_age_s=FLASH_MAX_AGE_S)

    def seal(self, flash: Flash) -> str:
        return self.seal_value(asdict(flash))

    def open(self, cookie: str | None, *, sid: str) -> Flash | None:
        data = self.open_value(cookie)
        try:
            flash = Flash(**data) if isinstance(data, dict) else None
        except TypeError:
            return None
        return flash if flash is not None and flash.sid == sid else None


def redirect_with(
    request: Request, location: str, text: str, *, kind: Literal["notice", "problem"] = "notice", **data: Any
) -> RedirectResponse:
    """303 to `location`, with `text` (and `data`) shown once there."""
    state = request.state.web
    state.flash_out = Flash(text=text, kind=kind, data=data, sid=state.session.sid if state.session else "")
    return RedirectResponse(location, status_code=303)


def redirect_saying(
    request: Request, location: str, key: str, *, data: dict[str, Any] | None = None, **values: Any
) -> RedirectResponse:
    """303 to `location`, with the catalogue's text `key` (in the visitor's language, filled
    with `values`) shown once there, and `data` with it."""
    t = request.app.state.web.catalogues[request.state.web.lang]
    return redirect_with(request, location, t(key, **values), **(data or {}))
