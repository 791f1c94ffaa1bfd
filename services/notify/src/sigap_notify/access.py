"""Who may read or change what in notify: city admins everything; a department's admin their
department; its other staff (and auditors, city-wide) may read. Refusals are `forbidden`."""

from __future__ import annotations

from sigap_notify.errors import NotifyError
from sigap_shared.auth import StaffPrincipal
from sigap_shared.errors import Text


def require_city_admin(staff: StaffPrincipal) -> None:
    if staff.role != "city_admin":
        raise NotifyError(
            "forbidden",
            Text(
                id="Hanya administrator kota yang dapat mengubah ini.",
                en="Only a city administrator may change this.",
            ),
        )


def require_department(staff: StaffPrincipal, department: str, *, write: bool) -> None:
    if staff.role == "city_admin" or (staff.role == "auditor" and not write):
        return
    if staff.department == department and (staff.role == "dept_admin" or not write):
        return
    raise NotifyError(
        "forbidden",
        Text(
            id=f"Akun Anda tidak berwenang mengelola dinas {department}.",
            en=f"Your account may not manage department {department}.",
        ),
    )


def require_department_or_city_admin(staff: StaffPrincipal, department: str | None, *, write: bool) -> None:
    """A department's own scope, or (no department named) the whole city's: city admins only."""
    if department is None:
        require_city_admin(staff)
    else:
        require_department(staff, department, write=write)
