"""`/v1/templates`: the message templates, read by staff and changed by a city admin."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Literal

from fastapi import APIRouter
from pydantic import BaseModel, StringConstraints

from sigap_notify.models import StrictBody
from sigap_notify.templates import commands, repository
from sigap_shared.auth import CityAdmin, CurrentStaff
from sigap_shared.runtime import Conn

router = APIRouter(prefix="/v1", tags=["notifications"])

TemplateKey = Annotated[str, StringConstraints(pattern=r"^[a-z][a-z0-9_.]{2,63}$")]


class TemplateIn(StrictBody):
    subject: Annotated[str, StringConstraints(min_length=1, max_length=300)]
    body: Annotated[str, StringConstraints(min_length=1, max_length=10000)]


class TemplateOut(BaseModel):
    key: str
    language: Literal["id", "en"]
    subject: str
    body: str
    updated_at: datetime
    updated_by: str


@router.get("/templates", summary="Message templates (staff)")
async def list_templates(conn: Conn, staff: CurrentStaff) -> list[TemplateOut]:
    return [TemplateOut(**dict(row)) for row in await repository.list_templates(conn=conn)]


@router.put(
    "/templates/{key}/{language}",
    summary="Change a message template without a deploy (city admin). Placeholders: $tracking_code, ${department}",
)
async def put_template(
    key: TemplateKey, language: Literal["id", "en"], body: TemplateIn, conn: Conn, staff: CityAdmin
) -> TemplateOut:
    row = await commands.change_template(
        conn=conn, key=key, language=language, subject=body.subject, body=body.body, changed_by=staff.username
    )
    return TemplateOut(**dict(row))
