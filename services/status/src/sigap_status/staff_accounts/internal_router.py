"""Status's internal API for other Sigap services (not exposed to the internet): whether a
staff account is active and with which role and department, so routing and notify refuse the
tokens of deactivated, changed or unknown accounts (services/status/STAFF_CONTRACT.md). Every
call needs the internal bearer token."""

from __future__ import annotations

from fastapi import APIRouter, Depends
from pydantic import BaseModel

from sigap_shared.auth import Role, require_internal_token
from sigap_shared.errors import Text
from sigap_shared.runtime import Conn
from sigap_status.auth.queries import get_staff_user
from sigap_status.errors import StatusError

router = APIRouter(prefix="/internal/v1", tags=["internal"], dependencies=[Depends(require_internal_token)])


class StaffAccountOut(BaseModel):
    username: str
    role: Role
    department: str | None
    active: bool


@router.get("/staff/{username}", summary="A staff account's role and whether it is active")
async def staff_account(username: str, conn: Conn) -> StaffAccountOut:
    user = await get_staff_user(conn=conn, username=username)
    if user is None:
        raise StatusError(
            "staff-not-found", Text(f"Tidak ada akun petugas {username}.", f"There is no staff account {username}.")
        )
    return StaffAccountOut(
        username=user["username"], role=user["role"], department=user["department"], active=user["active"]
    )
