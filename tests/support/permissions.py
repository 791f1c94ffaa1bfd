"""Who may do what to a complaint, as the status service's domain rules decide it: the
oracle of the permission tests (tests/integration/status/test_permissions.py asks status over
HTTP; tests/unit/status/test_permission_policy.py holds the rules to the written policy)."""

from __future__ import annotations

from sigap_shared.auth import StaffPrincipal
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
