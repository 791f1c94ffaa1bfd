"""Server-rendered pages: one Jinja2 environment (autoescaping on, undefined names are errors)
whose templates get the translator `t`, the CSRF token, versioned asset URLs and the staff
member, if any. Page scripts get their strings and settings from a JSON data block
(`<script type="application/json">`), which the CSP allows because it never executes."""

from __future__ import annotations

import json
from typing import Any

from fastapi import Request
from fastapi.responses import HTMLResponse
from jinja2 import Environment, PackageLoader, StrictUndefined, select_autoescape
from markupsafe import Markup

from sigap_web.context import WebContext, WebState, csrf_token, translator


def _json_block(value: Any) -> Markup:
    # "</" cannot close the data block early; the page reads it with JSON.parse.
    return Markup(json.dumps(value, ensure_ascii=False).replace("</", "<\\/"))


class Templates:
    def __init__(self, context: WebContext) -> None:
        self._context = context
        self.env = Environment(
            loader=PackageLoader("sigap_web", "templates"),
            autoescape=select_autoescape(["html", "j2"]),
            undefined=StrictUndefined,
            trim_blocks=True,
            lstrip_blocks=True,
        )
        self.env.filters["json_block"] = _json_block
        self.env.globals["asset"] = context.assets.url

    def values(self, request: Request, state: WebState) -> dict[str, Any]:
        t = translator(self._context, state)
        return {
            "t": t,
            "lang": state.lang,
            "other_lang": "en" if state.lang == "id" else "id",
            "csrf_token": csrf_token(self._context, state),
            "staff": state.session,
            "path": request.url.path,
        }

    def render(
        self,
        request: Request,
        name: str,
        *,
        status_code: int = 200,
        headers: dict[str, str] | None = None,
        partial: bool = False,
        **values: Any,
    ) -> HTMLResponse:
        """A page (with the one-time flash message, if this request brought one and the route
        did not take it itself), or a fragment (`partial`, or a `_name.html`) that never takes it."""
        state: WebState = request.state.web
        if not (partial or name.rsplit("/", 1)[-1].startswith("_")):
            values.setdefault("flash", state.take_flash())
        body = self.env.get_template(name).render(**self.values(request, state), **values)
        return HTMLResponse(
            body,
            status_code=status_code,
            headers={"Content-Language": state.lang, "Cache-Control": "no-cache", **(headers or {})},
        )
