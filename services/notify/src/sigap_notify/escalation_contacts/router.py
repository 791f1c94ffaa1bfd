"""`/v1/escalation-contacts`: who receives mail at each step of a department's escalation
ladder (`*` for every department without its own). City admins change them; city-wide staff
(city admins, auditors) may read them."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated

from fastapi import APIRouter, Depends
from pydantic import BaseModel, EmailStr, Field, StringConstraints

from sigap_notify.escalation_contacts import commands, repository
from sigap_notify.models import StrictBody
from sigap_notify.recipients import escalation_recipient
from sigap_shared.auth import CityAdmin, StaffPrincipal, staff_with_roles
from sigap_shared.runtime import Conn

router = APIRouter(prefix="/v1", tags=["notifications"])

CityReader = Annotated[StaffPrincipal, Depends(staff_with_roles("city_admin", "auditor"))]

# A department code, or `*` for every department without contacts of its own for the step.
EscalationDepartment = Annotated[str, StringConstraints(pattern=r"^(\*|[A-Z][A-Z0-9_]{1,31})$")]
# As SIGAP_ESCALATION_LADDER names steps at status.
EscalationStepName = Annotated[str, StringConstraints(pattern=r"^[a-z][a-z0-9_]{0,31}$")]


class EscalationContactsIn(StrictBody):
    emails: list[EmailStr] = Field(min_length=1, max_length=20)


class EscalationContactsOut(BaseModel):
    department: str
    step: str
    recipient: str = Field(description="How deliveries to these contacts are logged: escalation:<CODE>:<step>.")
    emails: list[str]
    updated_at: datetime
    updated_by: str

    @classmethod
    def of(cls, row) -> "EscalationContactsOut":
        return cls(
            department=row["department"],
            step=row["step"],
            recipient=escalation_recipient(row["department"], row["step"]),
            emails=list(row["emails"]),
            updated_at=row["updated_at"],
            updated_by=row["updated_by"],
        )


@router.get("/escalation-contacts", summary="Every escalation contact")
async def list_escalation_contacts(conn: Conn, staff: CityReader) -> list[EscalationContactsOut]:
    return [EscalationContactsOut.of(row) for row in await repository.list_contacts(conn=conn)]


@router.put(
    "/escalation-contacts/{department}/{step}",
    summary="Who is mailed at one step of a department's escalation ladder (city admin)",
)
async def put_escalation_contacts(
    department: EscalationDepartment, step: EscalationStepName, body: EscalationContactsIn, conn: Conn, staff: CityAdmin
) -> EscalationContactsOut:
    row = await commands.set_contacts(
        conn=conn, department=department, step=step, emails=[str(email) for email in body.emails], changed_by=staff.username
    )
    return EscalationContactsOut.of(row)


@router.delete("/escalation-contacts/{department}/{step}", status_code=204)
async def delete_escalation_contacts(
    department: EscalationDepartment, step: EscalationStepName, conn: Conn, staff: CityAdmin
) -> None:
    await commands.remove_contacts(conn=conn, department=department, step=step, removed_by=staff.username)
