"""The reporter's follow-up by tracking code and token: more information, a rating, a request
to reopen."""

from __future__ import annotations

from typing import Annotated
from uuid import UUID

from fastapi import APIRouter, Request, status
from pydantic import BaseModel, Field, StringConstraints

from sigap_intake.context import Context
from sigap_intake.follow_up import commands
from sigap_intake.inputs import (
    FollowUpTokenHeader,
    RateLimited,
    StrictRequest,
    TrackingCode,
)
from sigap_shared.problems import Text, preferred_language
from sigap_shared.runtime import Conn
from sigap_shared.visible_text import VisibleText

router = APIRouter(prefix="/v1", tags=["complaints"])


class InformationIn(StrictRequest):
    text: VisibleText(min_length=3, max_length=4000)
    photos: list[UUID] = Field(default_factory=list, max_length=5)


class RatingIn(StrictRequest):
    rating: int = Field(ge=1, le=5, description="1 = poor, 5 = excellent")
    comment: Annotated[str, StringConstraints(strip_whitespace=True, max_length=1000)] | None = None


class ReopenIn(StrictRequest):
    reason: VisibleText(min_length=10, max_length=2000)


class FollowUpAccepted(BaseModel):
    event_id: UUID
    message: str


def _accepted(envelope, message: Text, request: Request) -> FollowUpAccepted:
    return FollowUpAccepted(event_id=envelope.id, message=message.pick(preferred_language(request)))


@router.post(
    "/track/{tracking_code}/information",
    status_code=status.HTTP_201_CREATED,
    response_model=FollowUpAccepted,
    tags=["follow-up"],
    summary="Add information or photos to an open report",
    dependencies=RateLimited,
)
async def add_information(
    tracking_code: TrackingCode,
    body: InformationIn,
    request: Request,
    conn: Conn,
    context: Context,
    x_follow_up_token: FollowUpTokenHeader = None,
) -> FollowUpAccepted:
    envelope = await commands.add_information(
        conn=conn,
        tracking_code=tracking_code,
        token=x_follow_up_token,
        text=body.text,
        photo_ids=tuple(body.photos),
        policy=context.policy,
    )
    return _accepted(envelope, Text("Informasi tambahan diterima.", "Additional information received."), request)


@router.post(
    "/track/{tracking_code}/rating",
    status_code=status.HTTP_201_CREATED,
    response_model=FollowUpAccepted,
    tags=["follow-up"],
    summary="Rate the handling of a resolved report (1-5)",
    dependencies=RateLimited,
)
async def rate(
    tracking_code: TrackingCode,
    body: RatingIn,
    request: Request,
    conn: Conn,
    x_follow_up_token: FollowUpTokenHeader = None,
) -> FollowUpAccepted:
    envelope = await commands.rate(
        conn=conn, tracking_code=tracking_code, token=x_follow_up_token, rating=body.rating, comment=body.comment
    )
    return _accepted(envelope, Text("Terima kasih atas penilaian Anda.", "Thank you for your rating."), request)


@router.post(
    "/track/{tracking_code}/reopen",
    status_code=status.HTTP_201_CREATED,
    response_model=FollowUpAccepted,
    tags=["follow-up"],
    summary="Ask to reopen a resolved report, with a reason, within the allowed days",
    dependencies=RateLimited,
)
async def reopen(
    tracking_code: TrackingCode,
    body: ReopenIn,
    request: Request,
    conn: Conn,
    context: Context,
    x_follow_up_token: FollowUpTokenHeader = None,
) -> FollowUpAccepted:
    envelope = await commands.request_reopen(
        conn=conn,
        tracking_code=tracking_code,
        token=x_follow_up_token,
        reason=body.reason,
        window_days=context.settings.reopen_window_days,
    )
    return _accepted(
        envelope,
        Text("Permintaan pembukaan kembali diterima.", "Your request to reopen the report was received."),
        request,
    )
