"""`Staff`: the dependency every staff route takes. A valid access token whose account is still
active with the same role and department, so deactivating an account takes effect at once
rather than when its token expires."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import Depends, Request

from sigap_shared.auth import (
    ROLES,
    AuthError,
    Role,
    StaffAccount,
    StaffPrincipal,
    account_refused,
    check_account,
    current_staff,
    declares_roles,
    staff_with_roles,
)
from sigap_shared.runtime import Conn
from sigap_status.auth import queries


@declares_roles(*ROLES)
async def active_staff(request: Request, conn: Conn) -> StaffPrincipal:
    principal = await current_staff(request)
    user = await queries.get_staff_user(conn=conn, username=principal.username)
    account = (
        None
        if user is None
        else StaffAccount(username=user["username"], role=user["role"], department=user["department"], active=user["active"])
    )
    try:
        check_account(principal, account)
    except AuthError as exc:
        raise account_refused(exc) from None
    return principal


Staff = Annotated[StaffPrincipal, Depends(active_staff)]


def staff_in(*roles: Role) -> Any:
    """An active staff member with one of `roles` (others: 403, before any complaint is looked
    up); the OpenAPI document names the roles."""
    return Annotated[StaffPrincipal, Depends(staff_with_roles(*roles, staff=active_staff))]
