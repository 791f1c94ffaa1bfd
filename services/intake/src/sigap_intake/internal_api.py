"""Intake's internal API for other Sigap services (not exposed to the internet), as agreed in
services/notify/INTAKE_CONTRACT.md: resolving a reporter pseudonym to a contact at send time,
and checking a tracking code + follow-up token. Every call needs the internal bearer token."""

from __future__ import annotations

import hmac
import re
from typing import Annotated, Literal
from uuid import UUID

from fastapi import APIRouter, Depends, Header
from pydantic import BaseModel, ConfigDict, Field

from sigap_intake import follow_up, repository
from sigap_intake.context import Context, IntakeContext, get_context
from sigap_intake.rate_limit import retry_after_header
from sigap_shared.problems import Problem, Text
from sigap_shared.runtime import Conn


def _require_internal_token(
    context: Annotated[IntakeContext, Depends(get_context)],
    authorization: Annotated[str | None, Header()] = None,
) -> None:
    expected = "Bearer " + context.settings.internal_token.get_secret_value()
    if authorization is None or not hmac.compare_digest(authorization.encode(), expected.encode()):
        raise Problem(
            status=401,
            slug="unauthorized",
            title=Text("Tidak diizinkan", "Unauthorized"),
            detail=Text("Token layanan internal tidak ada atau salah.", "The internal service token is missing or wrong."),
            headers={"WWW-Authenticate": "Bearer"},
        )


router = APIRouter(prefix="/internal/v1", tags=["internal"], dependencies=[Depends(_require_internal_token)])


class _Request(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class ResolveContactIn(_Request):
    pseudonym: str = Field(min_length=1, max_length=64)
    channel: Literal["email", "sms", "push", "whatsapp"]


class ContactOut(BaseModel):
    address: str
    language: Literal["id", "en"] = "id"


def _not_found(detail_id: str, detail_en: str) -> Problem:
    return Problem(
        status=404, slug="not-found", title=Text("Tidak ditemukan", "Not found"), detail=Text(detail_id, detail_en)
    )


def e164(phone: str) -> str:
    """Indonesian numbers as written by people ("0812-3456-7890") in E.164 ("+6281234567890")."""
    digits = re.sub(r"[^0-9+]", "", phone)
    if digits.startswith("+"):
        return digits
    if digits.startswith("62"):
        return "+" + digits
    if digits.startswith("0"):
        return "+62" + digits[1:]
    return "+62" + digits


@router.post("/reporter-contacts/resolve", response_model=ContactOut, summary="Contact of a pseudonymous reporter")
async def resolve_contact(body: ResolveContactIn, conn: Conn, context: Context) -> ContactOut:
    found = await repository.sealed_identity_by_pseudonym(conn=conn, pseudonym=body.pseudonym)
    if found is None:
        raise _not_found("Pelapor tidak dikenal.", "Unknown reporter.")
    complaint_id, sealed = found
    identity = context.sealer.open(sealed, bound_to=complaint_id.bytes)
    assert isinstance(identity, dict)
    address = None
    if body.channel == "email":
        address = identity.get("email")
    elif body.channel in ("sms", "whatsapp") and identity.get("phone"):
        address = e164(identity["phone"])
    if not address:
        raise _not_found("Pelapor tidak punya alamat di kanal ini.", "The reporter has no address on this channel.")
    return ContactOut(address=address)


class VerifyFollowUpIn(_Request):
    tracking_code: str = Field(min_length=1, max_length=32)
    follow_up_token: str = Field(min_length=1, max_length=200)


class VerifiedOut(BaseModel):
    complaint_id: UUID


@router.post("/follow-up/verify", response_model=VerifiedOut, summary="Check a tracking code + follow-up token")
async def verify_follow_up(body: VerifyFollowUpIn, conn: Conn, context: Context) -> VerifiedOut:
    wait = context.verify_limiter.acquire(body.tracking_code)
    if wait:
        raise Problem(
            status=429,
            slug="too-many-requests",
            title=Text("Terlalu banyak permintaan", "Too many requests"),
            headers={"Retry-After": retry_after_header(wait)},
        )
    complaint = await repository.tracked_complaint(conn=conn, tracking_code=body.tracking_code)
    if complaint is None or not complaint.token_matches(body.follow_up_token):
        raise _not_found(follow_up.not_found().message_id, follow_up.not_found().message_en)
    return VerifiedOut(complaint_id=complaint.id)
