"""`POST /v1/templates/preview`: a template text rendered as a reader would get it, with
example values, and what is wrong with it, without saving anything."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter
from pydantic import BaseModel, ConfigDict, StringConstraints

from sigap_notify.template_preview import rules
from sigap_notify.templates.rules import RenderedMessage, render
from sigap_shared.auth import CurrentStaff

router = APIRouter(prefix="/v1", tags=["notifications"])


class PreviewIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    subject: Annotated[str, StringConstraints(max_length=300)]
    body: Annotated[str, StringConstraints(max_length=10000)]


class PreviewOut(BaseModel):
    subject: str
    body: str
    problems: list[str]
    unknown_placeholders: list[str]
    known_placeholders: list[str]


@router.post(
    "/templates/preview",
    summary="Render a template text with example values and name its placeholder mistakes; nothing is saved (staff)",
)
async def preview_template(body: PreviewIn, staff: CurrentStaff) -> PreviewOut:
    problems = rules.syntax_problems(body.subject, body.body)
    rendered = (
        RenderedMessage(subject="", body="")
        if problems
        else render(subject=body.subject, body=body.body, params=rules.EXAMPLE_VALUES)
    )
    return PreviewOut(
        subject=rendered.subject,
        body=rendered.body,
        problems=problems,
        unknown_placeholders=rules.unknown_placeholders(body.subject, body.body),
        known_placeholders=sorted(rules.EXAMPLE_VALUES),
    )
