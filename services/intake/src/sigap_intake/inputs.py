"""Request and answer pieces shared by intake's public routers: strict request models, the
common field types, photo reasons as a citizen reads them, and answers that a retry with the
same `Idempotency-Key` replays."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Header, Request
from fastapi.responses import Response
from pydantic import BaseModel, ConfigDict, Field, StringConstraints

from sigap_intake import retries
from sigap_intake.context import Context
from sigap_intake.rate_limit import retry_after_header
from sigap_shared.problems import Problem, Text


class StrictRequest(BaseModel):
    """Unknown fields are refused, not ignored: a typo in a client shows at once."""

    model_config = ConfigDict(extra="forbid", frozen=True)


ShortText = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=200)]


CategoryCode = Annotated[str, StringConstraints(strip_whitespace=True, pattern=r"^[a-z0-9_]{2,64}$")]


IdempotencyKey = Annotated[
    str | None,
    Header(
        min_length=1,
        max_length=255,
        pattern=r"^[\x21-\x7e]+$",
        description="Any unique string per logical request (a UUID is fine). A retry with the same key "
        "and the same body gets the first answer again; nothing is created twice.",
    ),
]


PhoneNumber = Annotated[
    str, StringConstraints(strip_whitespace=True, pattern=r"^\+?[0-9][0-9 \-]{6,18}[0-9]$")
]


TrackingCode = Annotated[str, StringConstraints(pattern=r"^SGP-[0-9A-Z]{4}-[0-9A-Z]{2}$")]


FollowUpTokenHeader = Annotated[
    str | None, Header(max_length=200, description="The follow-up token given when the report was sent")
]
# What only the reporter may do needs the token: without it, 422 naming the header.
FollowUpTokenRequired = Annotated[
    str, Header(min_length=1, max_length=200, description="The follow-up token given when the report was sent")
]


class ReasonOut(BaseModel):
    model_config = ConfigDict(extra="allow")

    code: str = Field(examples=["no_exif"])
    message: str


def replayable_answer(outcome: retries.Outcome, body: BaseModel) -> Response:
    headers = {"Idempotent-Replayed": "true"} if outcome.replayed else None
    # pydantic serialises straight to JSON bytes, without a detour through Python dicts.
    return Response(
        body.model_dump_json(), status_code=outcome.status_code, headers=headers, media_type="application/json"
    )


def reasons_out(stored: list[dict], lang: str) -> list[ReasonOut]:
    out = []
    for reason in stored:
        details = {k: v for k, v in reason.items() if k not in ("code", "message_id", "message_en")}
        out.append(
            ReasonOut(code=reason["code"], message=reason["message_en" if lang == "en" else "message_id"], **details)
        )
    return out


async def rate_limited(
    request: Request,
    context: Context,
    x_device_id: Annotated[str | None, Header(max_length=128)] = None,
) -> None:
    """429 with Retry-After when this device (or, looser, this IP) sends too much."""
    client_ip = request.client.host if request.client else "unknown"
    wait = await context.ip_limiter.acquire(client_ip)
    if x_device_id and not wait:
        wait = await context.device_limiter.acquire(x_device_id)
    elif not x_device_id and not wait:
        wait = await context.device_limiter.acquire("ip:" + client_ip)
    if wait:
        raise Problem(
            status=429,
            slug="too-many-requests",
            title=Text("Terlalu banyak permintaan", "Too many requests"),
            detail=Text(
                f"Mohon tunggu {retry_after_header(wait)} detik sebelum mencoba lagi.",
                f"Please wait {retry_after_header(wait)} seconds before trying again.",
            ),
            headers={"Retry-After": retry_after_header(wait)},
        )


RateLimited = [Depends(rate_limited)]


def created(router: APIRouter, path: str, *, response_model: type, summary: str, tags: list[str] | None = None):
    """`POST` that creates something for a citizen's device: rate limited, answered with 201."""
    return router.post(
        path, status_code=201, response_model=response_model, tags=tags, summary=summary, dependencies=RateLimited
    )
