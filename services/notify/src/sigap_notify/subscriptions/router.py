"""`/v1/departments/{department}/…`: where a department's admins and field officers receive
email, and the department's webhooks. A department's admin (or a city admin) changes them;
its staff and auditors may read them."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated
from uuid import UUID

from fastapi import APIRouter
from pydantic import BaseModel, EmailStr, Field, StringConstraints

from sigap_notify.access import require_department
from sigap_notify.context import Context
from sigap_notify.models import DepartmentCode, StaffUsername, StrictBody
from sigap_notify.recipients import officer_recipient
from sigap_notify.subscriptions import commands, repository
from sigap_shared.auth import CurrentStaff, DepartmentManager
from sigap_shared.runtime import Conn

router = APIRouter(prefix="/v1", tags=["notifications"])


class DepartmentContactsIn(StrictBody):
    emails: list[EmailStr] = Field(max_length=50)


class DepartmentContactsOut(BaseModel):
    department: str
    emails: list[str]


@router.put(
    "/departments/{department}/contacts",
    summary="Where a department's admins receive email",
)
async def put_department_contacts(
    department: DepartmentCode, body: DepartmentContactsIn, conn: Conn, staff: DepartmentManager
) -> DepartmentContactsOut:
    require_department(staff, department, write=True)
    emails = await commands.set_department_contacts(
        conn=conn, department=department, emails=[str(email) for email in body.emails]
    )
    return DepartmentContactsOut(department=department, emails=emails)


@router.get("/departments/{department}/contacts")
async def get_department_contacts(department: DepartmentCode, conn: Conn, staff: CurrentStaff) -> DepartmentContactsOut:
    require_department(staff, department, write=False)
    return DepartmentContactsOut(
        department=department, emails=await repository.department_emails(conn=conn, department=department)
    )


class OfficerContactsIn(StrictBody):
    emails: list[EmailStr] = Field(min_length=1, max_length=5)


class OfficerContactsOut(BaseModel):
    department: str
    username: str
    recipient: str = Field(description="How deliveries to this officer are logged: officer:<CODE>:<username>.")
    emails: list[str]
    updated_at: datetime
    updated_by: str

    @classmethod
    def of(cls, department: str, row) -> "OfficerContactsOut":
        return cls(
            department=department,
            username=row["username"],
            recipient=officer_recipient(department, row["username"]),
            emails=list(row["emails"]),
            updated_at=row["updated_at"],
            updated_by=row["updated_by"],
        )


@router.put(
    "/departments/{department}/officers/{username}/contacts",
    summary="Where a field officer receives email about assignments (the department's admin or a city admin)",
)
async def put_officer_contacts(
    department: DepartmentCode, username: StaffUsername, body: OfficerContactsIn, conn: Conn, staff: DepartmentManager
) -> OfficerContactsOut:
    require_department(staff, department, write=True)
    row = await commands.set_officer_contacts(
        conn=conn,
        department=department,
        username=username,
        emails=[str(email) for email in body.emails],
        changed_by=staff.username,
    )
    return OfficerContactsOut.of(department, row)


@router.get("/departments/{department}/officers/contacts")
async def list_officer_contacts(
    department: DepartmentCode, conn: Conn, staff: CurrentStaff
) -> list[OfficerContactsOut]:
    require_department(staff, department, write=False)
    rows = await repository.list_officer_contacts(conn=conn, department=department)
    return [OfficerContactsOut.of(department, row) for row in rows]


@router.delete("/departments/{department}/officers/{username}/contacts", status_code=204)
async def delete_officer_contacts(
    department: DepartmentCode, username: StaffUsername, conn: Conn, staff: DepartmentManager
) -> None:
    require_department(staff, department, write=True)
    await commands.remove_officer_contacts(
        conn=conn, department=department, username=username, removed_by=staff.username
    )


class WebhookIn(StrictBody):
    url: Annotated[str, StringConstraints(min_length=8, max_length=2000)]
    secret: Annotated[str, StringConstraints(min_length=16, max_length=200)] | None = Field(
        None, description="Shared HMAC secret; generated (and shown once) when omitted."
    )


class WebhookOut(BaseModel):
    id: UUID
    department: str
    url: str
    active: bool
    created_at: datetime
    created_by: str
    secret: str | None = Field(None, description="Only in the answer to the registration.")


@router.post(
    "/departments/{department}/webhooks",
    status_code=201,
    summary="Register a department system's webhook (signed CloudEvents, see WEBHOOKS.md)",
)
async def register_webhook(
    department: DepartmentCode, body: WebhookIn, context: Context, conn: Conn, staff: DepartmentManager
) -> WebhookOut:
    require_department(staff, department, write=True)
    row, secret = await commands.register_webhook(
        conn=conn,
        egress=context.egress,
        box=context.box,
        allow_http=context.settings.webhook_allow_http,
        department=department,
        url=body.url,
        secret=body.secret,
        registered_by=staff.username,
    )
    return WebhookOut(**dict(row), secret=secret)


@router.get("/departments/{department}/webhooks")
async def list_webhooks(department: DepartmentCode, conn: Conn, staff: CurrentStaff) -> list[WebhookOut]:
    require_department(staff, department, write=False)
    return [WebhookOut(**dict(row)) for row in await repository.list_webhooks(conn=conn, department=department)]


@router.delete("/departments/{department}/webhooks/{webhook_id}", status_code=204)
async def delete_webhook(department: DepartmentCode, webhook_id: UUID, conn: Conn, staff: DepartmentManager) -> None:
    require_department(staff, department, write=True)
    await commands.remove_webhook(conn=conn, department=department, webhook_id=webhook_id)
