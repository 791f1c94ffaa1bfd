"""Delegation for department and city admins: hand a complaint to another lead department,
add or remove supporting departments (joint handling)."""

from __future__ import annotations

from typing import Annotated
from uuid import UUID

from fastapi import APIRouter, Query
from pydantic import BaseModel, ConfigDict, Field, StringConstraints

from sigap_routing.context import Engine
from sigap_routing.delegation import commands
from sigap_shared.auth import DepartmentManager
from sigap_shared.events import (
    ComplaintSupportAdded,
    ComplaintSupportRemoved,
    ComplaintTransferred,
)
from sigap_shared.runtime import Conn
from sigap_shared.visible_text import VisibleText

router = APIRouter(prefix="/v1/routing", tags=["routing"])

Reason = VisibleText(min_length=3, max_length=500)
DepartmentCode = Annotated[str, StringConstraints(strip_whitespace=True, min_length=2, max_length=64)]


class _In(BaseModel):
    model_config = ConfigDict(extra="forbid")


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

    @classmethod
    def after(cls, event: ComplaintTransferred | ComplaintSupportAdded | ComplaintSupportRemoved) -> AssignmentOut:
        lead = event.to_department if isinstance(event, ComplaintTransferred) else event.lead_department
        return cls(
            complaint_id=event.complaint_id,
            lead_department=lead,
            supporting_departments=list(event.supporting_departments),
            event_type=event.event_type,
        )


_TRANSFER = "Hand the complaint to another lead department (lead's dept_admin, or city_admin)"
_ADD = "Joint handling: add a supporting department (lead's dept_admin, or city_admin)"
_REMOVE = "Remove a supporting department (lead's or that department's dept_admin, or city_admin)"


@router.post("/complaints/{complaint_id}/transfer", summary=_TRANSFER)
async def transfer(
    complaint_id: UUID, body: TransferIn, staff: DepartmentManager, conn: Conn, engine: Engine
) -> AssignmentOut:
    wanted = {"to_department": body.to_department, "reason": body.reason, "category": body.category}
    event = await commands.transfer_complaint(
        conn=conn, engine=engine, complaint_id=complaint_id, **wanted, actor=staff
    )
    return AssignmentOut.after(event)


@router.post("/complaints/{complaint_id}/supporting", summary=_ADD)
async def add_supporting(
    complaint_id: UUID, body: SupportIn, staff: DepartmentManager, conn: Conn, engine: Engine
) -> AssignmentOut:
    event = await commands.add_supporting_department(
        conn=conn, engine=engine, complaint_id=complaint_id, department=body.department, reason=body.reason, actor=staff
    )
    return AssignmentOut.after(event)


@router.delete("/complaints/{complaint_id}/supporting/{department}", summary=_REMOVE)
async def remove_supporting(
    complaint_id: UUID,
    department: str,
    staff: DepartmentManager,
    conn: Conn,
    reason: Annotated[Reason, Query(description="Why the department no longer supports")],
) -> AssignmentOut:
    event = await commands.remove_supporting_department(
        conn=conn, complaint_id=complaint_id, department=department, reason=reason, actor=staff
    )
    return AssignmentOut.after(event)
