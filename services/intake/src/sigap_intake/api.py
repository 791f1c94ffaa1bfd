"""Intake's HTTP API: parse the request, call a handler, map domain errors to problem+json."""

from __future__ import annotations

from typing import Annotated, Literal
from uuid import UUID

from fastapi import APIRouter, Header, status
from pydantic import BaseModel, ConfigDict, EmailStr, Field, StringConstraints

from sigap_intake import domain, handlers
from sigap_shared.events import ComplaintKind, GeoPoint, Privacy
from sigap_shared.problems import Problem, Text
from sigap_shared.runtime import Conn

router = APIRouter(prefix="/v1", tags=["complaints"])

ShortText = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=200)]
PhoneNumber = Annotated[
    str, StringConstraints(strip_whitespace=True, pattern=r"^\+?[0-9][0-9 \-]{6,18}[0-9]$")
]


class _Request(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class LocationIn(_Request):
    lat: float | None = Field(default=None, ge=-90, le=90, examples=[-6.3731])
    lon: float | None = Field(default=None, ge=-180, le=180, examples=[106.8190])
    address: Annotated[str, StringConstraints(strip_whitespace=True, max_length=500)] | None = None


class ReporterIn(_Request):
    name: ShortText | None = None
    phone: PhoneNumber | None = None
    email: EmailStr | None = None


class ComplaintIn(_Request):
    kind: ComplaintKind = "pengaduan"
    title: ShortText | None = None
    description: Annotated[str, StringConstraints(strip_whitespace=True, min_length=10, max_length=4000)]
    category: Annotated[str, StringConstraints(strip_whitespace=True, pattern=r"^[a-z0-9_]{2,64}$")] | None = None
    location: LocationIn | None = None
    privacy: Privacy = "publik"
    reporter: ReporterIn | None = None


class ComplaintAccepted(BaseModel):
    id: UUID
    tracking_code: str = Field(examples=["SGP-7K3M-Q9"])
    follow_up_token: str = Field(description="Secret for following up without an account; shown once.")
    status: Literal["diterima_intake"] = "diterima_intake"
    message: str


def _to_command(body: ComplaintIn) -> domain.SubmitComplaint:
    location = body.location
    point = None
    if location is not None and (location.lat is not None or location.lon is not None):
        if location.lat is None or location.lon is None:
            raise domain.IntakeError(
                field="location",
                message_id="Lintang (lat) dan bujur (lon) harus diisi keduanya.",
                message_en="Give both lat and lon.",
            )
        point = GeoPoint(lat=location.lat, lon=location.lon)
    reporter = (
        domain.ReporterContact(name=body.reporter.name, phone=body.reporter.phone, email=body.reporter.email)
        if body.reporter is not None
        else None
    )
    return domain.SubmitComplaint(
        kind=body.kind,
        title=body.title,
        description=body.description,
        category=body.category,
        location=point,
        address=location.address if location else None,
        privacy=body.privacy,
        reporter=reporter,
    )


def _invalid(error: domain.IntakeError) -> Problem:
    return Problem(
        status=422,
        slug="validation-error",
        title=Text("Data yang dikirim tidak valid", "The submitted data is not valid"),
        detail=Text(error.message_id, error.message_en),
        errors=[
            {
                "field": error.field,
                "in": "body",
                "message": Text(error.message_id, error.message_en),
                "code": "rule",
            }
        ],
    )


@router.post(
    "/complaints",
    status_code=status.HTTP_201_CREATED,
    response_model=ComplaintAccepted,
    summary="Submit a complaint, suggestion or information request",
)
async def submit_complaint(
    body: ComplaintIn,
    conn: Conn,
    x_correlation_id: Annotated[str | None, Header(max_length=128)] = None,
) -> ComplaintAccepted:
    try:
        complaint = await handlers.submit_complaint(
            conn=conn, command=_to_command(body), correlation_id=x_correlation_id
        )
    except domain.IntakeError as error:
        raise _invalid(error) from None
    return ComplaintAccepted(
        id=complaint.id,
        tracking_code=complaint.tracking_code,
        follow_up_token=complaint.follow_up_token,
        message=f"Laporan Anda diterima dengan kode {complaint.tracking_code}. "
        "Simpan kode dan token ini untuk memantau laporan.",
    )
