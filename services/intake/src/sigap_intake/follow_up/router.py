"""The reporter's follow-up by tracking code and token: more information, a rating, a request
to reopen."""

from __future__ import annotations

from collections.abc import Callable
from typing import Annotated
from uuid import UUID

from fastapi import APIRouter, Request
from pydantic import BaseModel, Field, StringConstraints

from sigap_intake.context import Context
from sigap_intake.follow_up import commands
from sigap_intake.inputs import (
    FollowUpTokenRequired,
    created,
    StrictRequest,
    TrackingCode,
)
from sigap_shared.events import Envelope
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


def _accepted(envelope: Envelope, message: Text, request: Request) -> FollowUpAccepted:
    return FollowUpAccepted(event_id=envelope.id, message=message.pick(preferred_language(request)))


def _follow_up(action: str, summary: str) -> Callable:
    """A reporter's follow-up: `POST /v1/track/{code}/{action}`, rate limited, 201 with the event id."""
    path = "/track/{tracking_code}/" + action
    return created(router, path, response_model=FollowUpAccepted, summary=summary, tags=["follow-up"])


@_follow_up("information", "Add information or photos to an open report")
async def add_information(
    tracking_code: TrackingCode, body: InformationIn, request: Request, conn: Conn, context: Context,
    x_follow_up_token: FollowUpTokenRequired,
) -> FollowUpAccepted:
    token, photos = x_follow_up_token, tuple(body.photos)
    envelope = await commands.add_information(
        conn=conn, tracking_code=tracking_code, token=token, text=body.text, photo_ids=photos, policy=context.policy
    )
    return _accepted(envelope, Text("Informasi tambahan diterima.", "Additional information received."), request)


@_follow_up("rating", "Rate the handling of a resolved report (1-5)")
async def rate(
    tracking_code: TrackingCode, body: RatingIn, request: Request, conn: Conn,
    x_follow_up_token: FollowUpTokenRequired,
) -> FollowUpAccepted:
    envelope = await commands.rate(
        conn=conn, tracking_code=tracking_code, token=x_follow_up_token, rating=body.rating, comment=body.comment
    )
    return _accepted(envelope, Text("Terima kasih atas penilaian Anda.", "Thank you for your rating."), request)


@_follow_up("reopen", "Ask to reopen a resolved report, with a reason, within the allowed days")
async def reopen(
    tracking_code: TrackingCode, body: ReopenIn, request: Request, conn: Conn, context: Context,
    x_follow_up_token: FollowUpTokenRequired,
) -> FollowUpAccepted:
    token, window_days = x_follow_up_token, context.settings.reopen_window_days
    envelope = await commands.request_reopen(
        conn=conn, tracking_code=tracking_code, token=token, reason=body.reason, window_days=window_days
    )
    message = Text("Permintaan pembukaan kembali diterima.", "Your request to reopen the report was received.")
    return _accepted(envelope, message, request)
