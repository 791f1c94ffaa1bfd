"""Routing's HTTP API: the preview the intake app and the city use to try routing without
creating anything; the stored decision and routing history per complaint (for the staff of
the departments handling it, and city-wide roles); delegation (transfer, joint handling) for
department and city admins; and the taxonomy admin and the real-use accuracy report for the
city admin."""

from __future__ import annotations

import hashlib
from datetime import datetime
from typing import Annotated
from uuid import UUID

import asyncpg
import orjson
from fastapi import APIRouter, Path, Query, Request, Response
from pydantic import BaseModel, ConfigDict, Field, StringConstraints

from sigap_routing import handlers, repository
from sigap_routing.delegation import DelegationError
from sigap_routing.domain import RoutingDecision
from sigap_routing.engine import RoutingEngine, VersionConflict
from sigap_routing.geography import Area
from sigap_routing.taxonomy import TaxonomyDocument, TaxonomyError
from sigap_shared.auth import CurrentStaff, StaffPrincipal, may_see_complaint
from sigap_shared.events import GeoPoint
from sigap_shared.problems import Problem, Text, preferred_language
from sigap_shared.runtime import Conn
from sigap_shared.storable import INTEGER_MAX
from sigap_shared.visible_text import VisibleText


class _In(BaseModel):
    model_config = ConfigDict(extra="forbid")


class PreviewIn(_In):
    description: str = Field(min_length=1, max_length=5000)
    category: str | None = Field(None, max_length=64)
    location: GeoPoint | None = None


class Place(BaseModel):
    code: str
    name: str


class AreaOut(BaseModel):
    kecamatan: Place | None
    kelurahan: Place | None
    inside_city: bool | None  # None: no location was given
    message: str


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


class RoutingDecisionOut(BaseModel):
    complaint_id: UUID
    department: str
    category: str | None
    confidence: float
    needs_triage: bool
    reasons: list[str]
    suggested_department: str | None = None
    area: AreaOut
    classifier_version: str | None = None
    taxonomy_version: int | None = None
    lead_department: str | None = None  # after transfers (department is the automatic decision)
    supporting_departments: list[str] = []


class DepartmentOut(BaseModel):
    code: str
    name: str


class TaxonomyVersionOut(BaseModel):
    version: int
    created_by: str
    comment: str | None
    created_at: datetime


class TaxonomyOut(TaxonomyVersionOut):
    taxonomy: TaxonomyDocument


class TaxonomyIn(_In):
    comment: str | None = Field(None, max_length=500)
    taxonomy: TaxonomyDocument


Reason = VisibleText(min_length=3, max_length=500)
DepartmentCode = Annotated[str, StringConstraints(strip_whitespace=True, min_length=2, max_length=64)]
# Versions are PostgreSQL integers: a larger number is a 422, not an overflow in the database.
TaxonomyVersion = Annotated[int, Path(ge=1, le=INTEGER_MAX)]


class TransferIn(_In):
    to_department: DepartmentCode
    reason: Reason = Field(examples=["bukan wewenang: saluran air milik PDAM"])
    category: str | None = Field(None, max_length=64)


class SupportIn(_In):
    department: DepartmentCode
    reason: Reason = Field(examples=["perlu pemangkasan pohon sebelum perbaikan lampu"])


class AssignmentOut(BaseModel):
    complaint_id: UUID
    lead_department: str
    supporting_departments: list[str]
    event_type: str


class DepartmentOutcomeOut(BaseModel):
    department: str  # as decided automatically (TRIAGE included)
    decided: int
    triaged: int
    corrected: int  # routed automatically, later moved by a department (bukan wewenang) or the city admin


class AccuracyOut(BaseModel):
    days: int
    decided: int
    triaged: int
    corrected: int
    confirmed_share: float | None  # of automatic routings, the share nobody moved elsewhere
    departments: list[DepartmentOutcomeOut]


class HistoryEntryOut(BaseModel):
    kind: str
    transfer_kind: str | None
    from_department: str | None
    to_department: str | None
    category: str | None
    reason: str | None
    actor: str
    actor_role: str | None
    at: datetime


_NO_LOCATION = Text("Lokasi tidak diberikan", "No location given")
_OUTSIDE = Text(
    "Lokasi berada di luar wilayah Kota Depok",
    "The location is outside Kota Depok",
)


def _area_out(*, inside_city: bool | None, kecamatan: Place | None, kelurahan: Place | None, lang: str) -> AreaOut:
    if inside_city is None:
        message = _NO_LOCATION.pick(lang)
    elif not inside_city:
        message = _OUTSIDE.pick(lang)
    else:
        assert kelurahan is not None and kecamatan is not None
        message = Text(
            f"Kelurahan {kelurahan.name}, Kecamatan {kecamatan.name}, Kota Depok",
            f"Kelurahan {kelurahan.name}, Kecamatan {kecamatan.name}, Kota Depok",
        ).pick(lang)
    return AreaOut(kecamatan=kecamatan, kelurahan=kelurahan, inside_city=inside_city, message=message)


def _area_of(area: Area | None, lang: str) -> AreaOut:
    kelurahan = area.kelurahan if area else None
    return _area_out(
        inside_city=area.inside_city if area else None,
        kecamatan=Place(code=kelurahan.kecamatan.code, name=kelurahan.kecamatan.name) if kelurahan else None,
        kelurahan=Place(code=kelurahan.code, name=kelurahan.name) if kelurahan else None,
        lang=lang,
    )


def _require_city_admin(staff: StaffPrincipal) -> None:
    if staff.role != "city_admin":
        raise Problem(
            status=403,
            slug="forbidden",
            title=Text("Tidak diizinkan", "Forbidden"),
            detail=Text(
                "Hanya admin kota (city_admin) yang boleh membaca dan mengubah taksonomi routing.",
                "Only a city admin (city_admin) may read and change the routing taxonomy.",
            ),
        )


def build_router(engine: RoutingEngine) -> APIRouter:
    router = APIRouter(prefix="/v1/routing", tags=["routing"])

    @router.post("/preview", response_model=PreviewOut, summary="Try routing without creating anything")
    async def preview(body: PreviewIn, request: Request, conn: Conn) -> PreviewOut:
        decision: RoutingDecision = await engine.decide(
            conn=conn, category=body.category, description=body.description, location=body.location
        )
        lang = preferred_language(request)
        return PreviewOut(
            department=decision.department,
            category=decision.category,
            confidence=decision.confidence,
            needs_triage=decision.needs_triage,
            reasons=list(decision.reasons_en if lang == "en" else decision.reasons),
            area=_area_of(decision.area, lang),
            suggested_department=decision.suggested_department,
            taxonomy_version=decision.taxonomy_version,
            classifier_version=decision.classifier_version,
        )

    @router.get(
        "/decisions/{complaint_id}",
        response_model=RoutingDecisionOut,
        summary="The routing decision and who handles the complaint now (staff of those departments, city-wide roles)",
    )
    async def get_decision(
        complaint_id: UUID, staff: CurrentStaff, request: Request, conn: Conn
    ) -> RoutingDecisionOut:
        row = await _visible_decision(conn, staff, complaint_id)
        located = row["kelurahan_code"] is not None
        return RoutingDecisionOut(
            complaint_id=row["complaint_id"],
            department=row["department"],
            category=row["category"],
            confidence=row["confidence"],
            needs_triage=row["needs_triage"],
            reasons=orjson.loads(row["reasons"]),
            suggested_department=row["suggested_department"],
            area=_area_out(
                inside_city=row["inside_city"],
                kecamatan=Place(code=row["kecamatan_code"], name=row["kecamatan_name"]) if located else None,
                kelurahan=Place(code=row["kelurahan_code"], name=row["kelurahan_name"]) if located else None,
                lang=preferred_language(request),
            ),
            classifier_version=row["classifier_version"],
            taxonomy_version=row["taxonomy_version"],
            lead_department=row["lead_department"],
            supporting_departments=list(row["supporting_departments"]),
        )

    @router.get(
        "/departments",
        response_model=list[DepartmentOut],
        summary="Every department and area office of the active taxonomy, by code and name (public)",
    )
    async def departments(conn: Conn) -> list[DepartmentOut]:
        taxonomy = await engine.taxonomy(conn=conn)
        return [DepartmentOut(code=d.code, name=d.name) for d in taxonomy.departments.values()]

    @router.get(
        "/areas/kelurahan",
        summary="Kota Depok's kelurahan boundaries as GeoJSON, the map routing locates complaints on (public)",
        description="Source and licence (MIT, wilayah_boundaries by cahya dsn): see the `license` member.",
        response_class=Response,
        responses={200: {"content": {"application/geo+json": {}}}},
    )
    async def kelurahan_boundaries(request: Request) -> Response:
        body = engine.geography.kelurahan_geojson()
        etag = '"' + hashlib.sha256(body).hexdigest()[:32] + '"'
        headers = {"ETag": etag, "Cache-Control": "public, max-age=86400"}
        if etag in {tag.strip() for tag in request.headers.get("if-none-match", "").split(",")}:
            return Response(status_code=304, headers=headers)
        return Response(body, media_type="application/geo+json", headers=headers)

    @router.get("/admin/taxonomy", response_model=TaxonomyOut, summary="The active taxonomy (city_admin)")
    async def get_taxonomy(staff: CurrentStaff, conn: Conn) -> TaxonomyOut:
        _require_city_admin(staff)
        await engine.taxonomy(conn=conn)  # seeds the default on a fresh database
        row = await repository.get_taxonomy_version(conn=conn)
        assert row is not None
        return _taxonomy_out(row)

    @router.get(
        "/admin/taxonomy/versions", response_model=list[TaxonomyVersionOut], summary="Version history (city_admin)"
    )
    async def list_versions(staff: CurrentStaff, conn: Conn) -> list[TaxonomyVersionOut]:
        _require_city_admin(staff)
        await engine.taxonomy(conn=conn)
        return [TaxonomyVersionOut(**dict(row)) for row in await repository.list_taxonomy_versions(conn=conn)]

    @router.get(
        "/admin/taxonomy/versions/{version}", response_model=TaxonomyOut, summary="One stored version (city_admin)"
    )
    async def get_version(version: TaxonomyVersion, staff: CurrentStaff, conn: Conn) -> TaxonomyOut:
        _require_city_admin(staff)
        row = await repository.get_taxonomy_version(conn=conn, version=version)
        if row is None:
            raise Problem(
                status=404,
                slug="not-found",
                title=Text("Versi taksonomi tidak ditemukan", "Taxonomy version not found"),
                detail=Text(f"Tidak ada taksonomi versi {version}.", f"There is no taxonomy version {version}."),
            )
        return _taxonomy_out(row)

    @router.put(
        "/admin/taxonomy",
        response_model=TaxonomyOut,
        summary="Replace the taxonomy: stored as a new version and used at once (city_admin)",
    )
    async def put_taxonomy(body: TaxonomyIn, staff: CurrentStaff, conn: Conn) -> TaxonomyOut:
        _require_city_admin(staff)
        try:
            async with conn.transaction():
                compiled = await engine.store(
                    conn=conn, document=body.taxonomy, author=staff.username, comment=body.comment
                )
        except TaxonomyError as exc:
            raise Problem(
                status=422,
                slug="invalid-taxonomy",
                title=Text("Taksonomi tidak sesuai dengan wilayah kota", "The taxonomy does not fit the city"),
                detail=Text(str(exc), f"Every kecamatan and kelurahan needs an area office: {exc}"),
            ) from None
        except VersionConflict:
            raise Problem(
                status=409,
                slug="taxonomy-conflict",
                title=Text("Taksonomi sedang diubah oleh admin lain", "Another admin is changing the taxonomy"),
                detail=Text(
                    "Perubahan lain baru saja disimpan. Muat ulang taksonomi, lalu coba lagi.",
                    "Another change was just stored. Reload the taxonomy and try again.",
                ),
            ) from None
        engine.use(compiled)
        row = await repository.get_taxonomy_version(conn=conn, version=compiled.version)
        assert row is not None
        return _taxonomy_out(row)

    @router.get(
        "/admin/accuracy",
        response_model=AccuracyOut,
        summary="How often automatic routing was corrected in real use (city_admin)",
    )
    async def accuracy(staff: CurrentStaff, conn: Conn, days: Annotated[int, Query(ge=1, le=3650)] = 30) -> AccuracyOut:
        _require_city_admin(staff)
        rows = [
            DepartmentOutcomeOut(
                department=row["department"],
                decided=row["decided"],
                triaged=row["triaged"],
                corrected=row["corrected"],
            )
            for row in await repository.routing_outcomes(conn=conn, days=days)
        ]
        routed = sum(row.decided - row.triaged for row in rows)
        corrected = sum(row.corrected for row in rows)
        return AccuracyOut(
            days=days,
            departments=rows,
            decided=sum(row.decided for row in rows),
            triaged=sum(row.triaged for row in rows),
            corrected=corrected,
            confirmed_share=round(1 - corrected / routed, 4) if routed else None,
        )

    @router.post(
        "/complaints/{complaint_id}/transfer",
        response_model=AssignmentOut,
        summary="Hand the complaint to another lead department (lead's dept_admin, or city_admin)",
    )
    async def transfer(complaint_id: UUID, body: TransferIn, staff: CurrentStaff, conn: Conn) -> AssignmentOut:
        try:
            event = await handlers.transfer_complaint(
                conn=conn,
                engine=engine,
                complaint_id=complaint_id,
                to_department=body.to_department,
                reason=body.reason,
                category=body.category,
                actor=staff,
            )
        except DelegationError as exc:
            raise _problem(exc) from None
        return AssignmentOut(
            complaint_id=complaint_id,
            lead_department=event.to_department,
            supporting_departments=list(event.supporting_departments),
            event_type=event.event_type,
        )

    @router.post(
        "/complaints/{complaint_id}/supporting",
        response_model=AssignmentOut,
        summary="Joint handling: add a supporting department (lead's dept_admin, or city_admin)",
    )
    async def add_supporting(complaint_id: UUID, body: SupportIn, staff: CurrentStaff, conn: Conn) -> AssignmentOut:
        try:
            event = await handlers.add_supporting_department(
                conn=conn,
                engine=engine,
                complaint_id=complaint_id,
                department=body.department,
                reason=body.reason,
                actor=staff,
            )
        except DelegationError as exc:
            raise _problem(exc) from None
        return AssignmentOut(
            complaint_id=complaint_id,
            lead_department=event.lead_department,
            supporting_departments=list(event.supporting_departments),
            event_type=event.event_type,
        )

    @router.delete(
        "/complaints/{complaint_id}/supporting/{department}",
        response_model=AssignmentOut,
        summary="Remove a supporting department (lead's or that department's dept_admin, or city_admin)",
    )
    async def remove_supporting(
        complaint_id: UUID,
        department: str,
        staff: CurrentStaff,
        conn: Conn,
        reason: Annotated[Reason, Query(description="Why the department no longer supports")],
    ) -> AssignmentOut:
        try:
            event = await handlers.remove_supporting_department(
                conn=conn, complaint_id=complaint_id, department=department, reason=reason, actor=staff
            )
        except DelegationError as exc:
            raise _problem(exc) from None
        return AssignmentOut(
            complaint_id=complaint_id,
            lead_department=event.lead_department,
            supporting_departments=list(event.supporting_departments),
            event_type=event.event_type,
        )

    @router.get(
        "/complaints/{complaint_id}/history",
        response_model=list[HistoryEntryOut],
        summary="Every routing decision for the complaint, with who and why (its departments' staff, city-wide roles)",
    )
    async def history(complaint_id: UUID, staff: CurrentStaff, conn: Conn) -> list[HistoryEntryOut]:
        await _visible_decision(conn, staff, complaint_id)
        rows = await repository.history(conn=conn, complaint_id=complaint_id)
        return [HistoryEntryOut(**dict(row)) for row in rows]

    return router


async def _visible_decision(conn: asyncpg.Connection, staff: StaffPrincipal, complaint_id: UUID) -> asyncpg.Record:
    """The complaint's decision row if `staff` may see the complaint (its lead and supporting
    departments as routing knows them); otherwise the same 404 as for an unknown complaint."""
    row = await repository.get_decision(conn=conn, complaint_id=complaint_id)
    if row is None or not may_see_complaint(
        staff, departments=(row["lead_department"] or row["department"], *row["supporting_departments"])
    ):
        raise Problem(
            status=404,
            slug="not-found",
            title=Text("Keputusan routing tidak ditemukan", "Routing decision not found"),
            detail=Text(
                f"Belum ada keputusan routing untuk pengaduan {complaint_id}.",
                f"No routing decision exists for complaint {complaint_id}.",
            ),
        )
    return row


def _problem(error: DelegationError) -> Problem:
    return Problem(status=error.status, slug=error.slug, title=error.title, detail=error.detail)


def _taxonomy_out(row) -> TaxonomyOut:
    return TaxonomyOut(
        version=row["version"],
        created_by=row["created_by"],
        comment=row["comment"],
        created_at=row["created_at"],
        taxonomy=TaxonomyDocument.model_validate_json(row["document"]),
    )
