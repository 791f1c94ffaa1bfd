"""`POST /v1/routing/preview`: the decision routing would take, without creating anything (the
intake app and the city use it to try routing)."""

from __future__ import annotations

from fastapi import APIRouter, Request
from pydantic import BaseModel, ConfigDict, Field

from sigap_routing.areas.views import AreaOut, area_of
from sigap_routing.context import Engine
from sigap_shared.events import GeoPoint
from sigap_shared.problems import preferred_language
from sigap_shared.runtime import Conn

router = APIRouter(prefix="/v1/routing", tags=["routing"])


class PreviewIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    description: str = Field(min_length=1, max_length=5000)
    category: str | None = Field(None, max_length=64)
    location: GeoPoint | None = None


class PreviewOut(BaseModel):
    department: str
    category: str | None
    confidence: float
    needs_triage: bool
    reasons: list[str]
    area: AreaOut
    suggested_department: str | None
    taxonomy_version: int | None
    classifier_version: str


@router.post("/preview", summary="Try routing without creating anything")
async def preview(body: PreviewIn, request: Request, conn: Conn, engine: Engine) -> PreviewOut:
    decision = await engine.decide(conn=conn, category=body.category, description=body.description, location=body.location)
    lang = preferred_language(request)
    return PreviewOut(
        department=decision.department,
        category=decision.category,
        confidence=decision.confidence,
        needs_triage=decision.needs_triage,
        reasons=list(decision.reasons_en if lang == "en" else decision.reasons),
        area=area_of(decision.area, lang),
        suggested_department=decision.suggested_department,
        taxonomy_version=decision.taxonomy_version,
        classifier_version=decision.classifier_version,
    )
