"""`Staff`: the dependency every staff route takes. A valid access token whose account is still
active with the same role and department, so deactivating an account takes effect at once
rather than when its token expires."""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends, Request

from sigap_shared.auth import AuthError, StaffAccount, StaffPrincipal, account_refused, check_account, current_staff
from sigap_shared.runtime import Conn
from sigap_status.auth import queries


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
