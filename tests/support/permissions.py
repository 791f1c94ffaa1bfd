"""Who may do what to a complaint, as the status service's domain rules decide it: the
oracle of the permission tests (tests/integration/status/test_permissions.py asks status over
HTTP; tests/unit/status/test_permission_policy.py holds the rules to the written policy)."""

from __future__ import annotations

from functools import cache

from sigap_shared.auth import StaffPrincipal
from sigap_shared.openapi import Access, operation_access
from sigap_status.bootstrap import routers
from sigap_status.lifecycle import rules as domain

LEAD, SUPPORTING, OTHER = "DISHUB", "DLH", "DISKES"

# subject -> (role, department, assigned to the complaint?)
SUBJECTS = {
    "city_admin": ("city_admin", None, False),
    "auditor": ("auditor", None, False),
    "dept_admin_lead": ("dept_admin", LEAD, False),
    "dept_admin_supporting": ("dept_admin", SUPPORTING, False),
    "dept_admin_other": ("dept_admin", OTHER, False),
    "field_officer_assigned": ("field_officer", LEAD, True),
    "field_officer_unassigned": ("field_officer", LEAD, False),
    "field_officer_other": ("field_officer", OTHER, False),
    "anonymous": (None, None, False),
}

ACTIONS = (
    "view",
    "duplicate_candidates",
    "start_work",
    "reject",
    "assign",
    "wait_for_reporter",
    "internal_note",
    "reporter_message",
    "reporter_identity",
    "queue",
)
# The operation each action calls: its role gate (the roles its OpenAPI document names) comes
# before anything else.
OPERATION_OF = {
    "view": ("/v1/staff/complaints/{complaint_id}", "get"),
    "duplicate_candidates": ("/v1/staff/complaints/{complaint_id}/duplicate-candidates", "get"),
    "start_work": ("/v1/complaints/{complaint_id}/transitions", "post"),
    "reject": ("/v1/complaints/{complaint_id}/transitions", "post"),
    "assign": ("/v1/complaints/{complaint_id}/assignment", "put"),
    "wait_for_reporter": ("/v1/complaints/{complaint_id}/waiting-for-reporter", "put"),
    "internal_note": ("/v1/complaints/{complaint_id}/notes", "post"),
    "reporter_message": ("/v1/complaints/{complaint_id}/notes", "post"),
    "reporter_identity": ("/v1/staff/complaints/{complaint_id}/reporter-identity", "get"),
    "queue": ("/v1/staff/queue", "get"),
}


@cache
def _status_access() -> dict[tuple[str, str], Access]:
    return operation_access(route for router in routers() for route in router.routes)


def admitted_roles(action: str) -> tuple[str, ...]:
    return _status_access()[OPERATION_OF[action]].roles


# The state change each lifecycle action asks for.
TRANSITION_OF = {"start_work": "dalam_proses", "reject": "ditolak"}


def principal(subject: str, assigned_officer: str) -> StaffPrincipal | None:
    role, department, is_assigned = SUBJECTS[subject]
    if role is None:
        return None
    return StaffPrincipal(username=assigned_officer if is_assigned else f"{subject}-x", role=role, department=department)


def _permits(check, *args) -> bool:
    try:
        check(*args)
    except domain.NotPermitted:
        return False
    return True


def expected_answer(action: str, staff: StaffPrincipal | None, complaint: domain.ComplaintView) -> int | bool | None:
    """What status answers, derived from the domain's rules (not from a table of this test):
    no login is 401; a complaint the subject may not see answers as an unknown one, 404; then
    the rule of the action decides between success and 403. For the queue: whether the
    complaint is listed (None: no queue without logging in). Status's intake client is not
    configured, so a permitted identity look ends at 503, after every permission check."""
    if staff is None:
        return None if action == "queue" else 401
    if staff.role not in admitted_roles(action):
        # The same answer for every complaint, so it tells nothing about this one.
        return 403
    if not domain.can_see(staff, complaint):
        return False if action == "queue" else 404
    if action == "queue":
        return True
    if action in ("view", "duplicate_candidates"):
        return 200
    if action in TRANSITION_OF:
        wanted = TRANSITION_OF[action]
        if not (_permits(domain.check_may_act, staff, complaint) and domain.may_ever(staff.role, wanted)):
            return 403
        return 200 if wanted in domain.allowed_transitions(complaint.status, staff.role) else 409
    if action == "assign":
        return 200 if _permits(domain.check_may_assign, staff, complaint) else 403
    if action == "wait_for_reporter":
        return 200 if _permits(domain.check_may_act, staff, complaint) else 403
    if action == "internal_note":  # supporting departments work along; auditors only read
        return 403 if staff.role == "auditor" else 201
    if action == "reporter_message":  # speaking to the reporter is the lead's
        return 201 if _permits(domain.check_may_act, staff, complaint) else 403
    assert action == "reporter_identity"
    return 503 if _permits(domain.check_may_reveal_identity, staff, complaint) else 403
