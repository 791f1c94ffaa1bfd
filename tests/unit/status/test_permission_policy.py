"""Status's permission rules against the written policy: for a verified complaint led by one
department, supported by another and assigned to one of the lead's field officers, what each
kind of staff gets for each action. The integration test asks the running API the same and
expects what these rules decide (tests/support/permissions.py)."""

from __future__ import annotations

import uuid

import pytest

from sigap_status.lifecycle import rules as domain
from tests.support.permissions import ACTIONS, LEAD, SUBJECTS, SUPPORTING, expected_answer, principal

OFFICER = "petugas.lead"

# One row per action, one column per subject (in this order). For the queue: listed (y/n),
# "-" without a login. Supporting departments work along (internal notes) but do not speak
# for the lead; rejecting is the admins' desk, so an officer's reject is 403 (not 409:
# reloading would not help); a permitted identity look ends at 503 (no intake configured). A
# role an operation never admits is refused (403) before the complaint is looked up, whichever
# complaint it is, so that answer leaks nothing either.
COLUMNS = (
    "city_admin auditor dept_admin_lead dept_admin_supporting dept_admin_other"
    " field_officer_assigned field_officer_unassigned field_officer_other anonymous"
).split()
POLICY = """
view                  200 200 200 200 404 200 404 404 401
duplicate_candidates  200 200 200 200 404 200 404 404 401
start_work            200 403 200 403 404 200 404 404 401
reject                200 403 200 403 404 403 404 404 401
assign                200 403 200 403 404 403 403 403 401
wait_for_reporter     200 403 200 403 404 200 404 404 401
internal_note         201 403 201 201 404 201 404 404 401
reporter_message      201 403 201 403 404 201 404 404 401
reporter_identity     503 403 403 403 403 403 403 403 401
queue                 y   y   y   y   n   y   n   n   -
"""


def _written(cell: str) -> int | bool | None:
    return {"y": True, "n": False, "-": None}.get(cell) if not cell.isdigit() else int(cell)


WRITTEN = {
    (action, subject): _written(cell)
    for action, *cells in (line.split() for line in POLICY.strip().splitlines())
    for subject, cell in zip(COLUMNS, cells, strict=True)
}


def test_the_policy_covers_every_subject_for_every_action():
    assert set(COLUMNS) == set(SUBJECTS)
    assert {action for action, _ in WRITTEN} == set(ACTIONS)


@pytest.mark.parametrize("action", ACTIONS)
def test_the_rules_decide_what_the_policy_says(action):
    complaint = domain.ComplaintView(
        id=uuid.uuid4(),
        tracking_code="SGP-TEST-01",
        status="terverifikasi",
        department=LEAD,
        version=3,
        supporting_departments=(SUPPORTING,),
        assigned_officer=OFFICER,
    )
    decided = {subject: expected_answer(action, principal(subject, OFFICER), complaint) for subject in COLUMNS}
    assert decided == {subject: WRITTEN[action, subject] for subject in COLUMNS}
