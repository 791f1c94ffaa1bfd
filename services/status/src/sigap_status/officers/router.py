"""`GET /v1/staff/departments/{department}/officers`: the active field officers of a
department, whom its complaints may be assigned to. For that department's admins and the
city-wide roles; anyone else is refused (403)."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Path
from pydantic import BaseModel

from sigap_shared.errors import Text
from sigap_shared.runtime import Conn
from sigap_status.auth.dependencies import staff_in
from sigap_status.errors import Forbidden
from sigap_status.officers import queries

router = APIRouter(prefix="/v1", tags=["staff"])

# Field officers never list officers; admins only their own department's (checked below).
Overseer = staff_in("city_admin", "dept_admin", "auditor")
DepartmentCode = Annotated[str, Path(pattern=r"^[A-Z][A-Z0-9_.-]{1,31}$")]


class OfficerOut(BaseModel):
    username: str


@router.get(
    "/staff/departments/{department}/officers",
    summary="The department's active field officers (its admins, city-wide roles)",
)
async def get_officers(department: DepartmentCode, staff: Overseer, conn: Conn) -> list[OfficerOut]:
    if not staff.is_city_wide and not (staff.role == "dept_admin" and staff.department == department):
        raise Forbidden(
            Text(
                "Hanya admin dinas tersebut dan admin kota yang dapat melihat daftar petugasnya.",
                "Only that department's admins and the city admin may list its officers.",
            ),
        )
    return [OfficerOut(username=username) for username in await queries.active_officers(conn=conn, department=department)]
