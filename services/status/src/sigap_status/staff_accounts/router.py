"""The staff-accounts API: the city admin lists, creates, deactivates and reactivates staff
accounts and resets passwords with one-time setup codes (never seeing anyone's password);
the account's owner sets their password with the code. See services/status/STAFF_ACCOUNTS.md."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any

import orjson
from fastapi import APIRouter, Depends, Path, Query, Response
from pydantic import BaseModel, ConfigDict, Field

from sigap_shared.auth import Role, StaffPrincipal, declares_roles
from sigap_shared.errors import Text
from sigap_shared.runtime import Conn
from sigap_status.auth.dependencies import Staff
from sigap_status.errors import Forbidden
from sigap_status.staff_accounts import commands, queries
from sigap_status.staff_accounts.errors import AccountNotFound

router = APIRouter(prefix="/v1", tags=["staff accounts"])

Username = Annotated[str, Field(min_length=1, max_length=64)]
# An account's name in a path, as auth.rules.USERNAME_PATTERN allows (anything else is a 422,
# and never reaches the database).
AccountName = Annotated[str, Path(pattern=r"^[a-z0-9][a-z0-9._-]{2,63}$")]


@declares_roles("city_admin")
async def city_admin(staff: Staff) -> StaffPrincipal:
    if staff.role != "city_admin":
        raise Forbidden(
            Text(
                "Hanya admin kota (city_admin) yang boleh mengelola akun petugas.",
                "Only a city admin (city_admin) may manage staff accounts.",
            ),
        )
    return staff


CityAdmin = Annotated[StaffPrincipal, Depends(city_admin)]

class AccountOut(BaseModel):
    username: str
    role: Role
    department: str | None
    active: bool
    has_password: bool = Field(description="False until the owner sets a password with their setup code.")
    setup_code_expires_at: datetime | None = Field(description="When the outstanding setup code expires, if any.")
    created_at: datetime
    updated_at: datetime


class SetupCodeOut(BaseModel):
    username: str
    setup_code: str = Field(description="Shown only in this answer: give it to the account's owner.")
    expires_at: datetime
    setup_path: str = Field(
        description="Where the owner sets their password on the web service; the code travels in the fragment, "
        "which browsers never send to a server (or a proxy's log)."
    )


class CreatedOut(BaseModel):
    account: AccountOut
    setup: SetupCodeOut


class AccountIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    username: Username
    role: Role
    department: Annotated[str, Field(max_length=32)] | None = None


class AuditEntryOut(BaseModel):
    at: datetime
    actor: str
    action: str
    username: str
    detail: dict[str, Any]


class AccountDetailOut(AccountOut):
    audit: list[AuditEntryOut]


class SetupPasswordIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    username: Username
    code: Annotated[str, Field(min_length=1, max_length=64)]
    password: Annotated[str, Field(min_length=1, max_length=1024)]


def _setup_out(setup: commands.SetupCode) -> SetupCodeOut:
    return SetupCodeOut(
        username=setup.username,
        setup_code=setup.code,
        expires_at=setup.expires_at,
        setup_path=f"/atur-sandi#kode={setup.code}",
    )


async def _account(conn: Any, username: str) -> AccountOut:
    row = await queries.get_account(conn=conn, username=username)
    if row is None:
        raise AccountNotFound(username)
    return AccountOut(**dict(row))


def _audit_out(rows: list[Any]) -> list[AuditEntryOut]:
    return [
        AuditEntryOut(at=r["at"], actor=r["actor"], action=r["action"], username=r["username"], detail=orjson.loads(r["detail"]))
        for r in rows
    ]


@router.get("/staff-accounts", summary="Staff accounts, by department (city_admin)")
async def list_accounts(
    staff: CityAdmin,
    conn: Conn,
    department: Annotated[str | None, Query(pattern=r"^[A-Za-z][A-Za-z0-9_]{1,31}$")] = None,
    role: Role | None = None,
    active: bool | None = None,
) -> list[AccountOut]:
    rows = await queries.list_accounts(
        conn=conn, department=department.upper() if department else None, role=role, active=active
    )
    return [AccountOut(**dict(row)) for row in rows]


@router.post(
    "/staff-accounts",
    status_code=201,
    summary="Create a staff account; its owner sets their password with the one-time setup code returned (city_admin)",
)
async def create_account(body: AccountIn, staff: CityAdmin, conn: Conn) -> CreatedOut:
    setup = await commands.create_account(
        conn=conn, actor=staff.username, username=body.username, role=body.role, department=body.department
    )
    assert setup is not None
    return CreatedOut(account=await _account(conn, setup.username), setup=_setup_out(setup))


@router.get(
    "/staff-accounts/audit",
    summary="Who changed which staff account, when; newest first (city_admin)",
)
async def list_audit(
    staff: CityAdmin, conn: Conn, limit: Annotated[int, Query(ge=1, le=500)] = 100
) -> list[AuditEntryOut]:
    return _audit_out(await queries.list_audit(conn=conn, limit=limit))


@router.get(
    "/staff-accounts/{username}",
    summary="One staff account with its audit trail (city_admin)",
)
async def get_account(username: AccountName, staff: CityAdmin, conn: Conn) -> AccountDetailOut:
    account = await _account(conn, username)
    audit = _audit_out(await queries.list_audit(conn=conn, username=username))
    return AccountDetailOut(**account.model_dump(), audit=audit)


async def _set_active(conn: Any, staff: StaffPrincipal, username: str, *, active: bool) -> AccountOut:
    await commands.set_active(conn=conn, actor=staff.username, username=username, active=active)
    return await _account(conn, username)


@router.post(
    "/staff-accounts/{username}/deactivate",
    summary="Deactivate an account: its refresh tokens and setup codes are revoked and its access ends (city_admin)",
)
async def deactivate(username: AccountName, staff: CityAdmin, conn: Conn) -> AccountOut:
    return await _set_active(conn, staff, username, active=False)


@router.post("/staff-accounts/{username}/reactivate", summary="Reactivate an account (city_admin)")
async def reactivate(username: AccountName, staff: CityAdmin, conn: Conn) -> AccountOut:
    return await _set_active(conn, staff, username, active=True)


@router.post(
    "/staff-accounts/{username}/setup-code",
    summary="Reset a password: the old one stops working, sessions end, a new one-time setup code is returned "
    "(city_admin)",
)
async def reset_password(username: AccountName, staff: CityAdmin, conn: Conn) -> SetupCodeOut:
    setup = await commands.reset_with_setup_code(conn=conn, actor=staff.username, username=username)
    return _setup_out(setup)


@router.post(
    "/auth/setup-password",
    status_code=204,
    tags=["auth"],
    summary="Set your own password with the one-time setup code the city admin gave you (no login needed)",
    response_class=Response,
)
async def setup_password(body: SetupPasswordIn, conn: Conn) -> Response:
    await commands.set_password_with_code(
        conn=conn, username=body.username, code=body.code, password=body.password
    )
    return Response(status_code=204)
