"""Pure rules of handing a complaint on: who may, and what the event says."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime

import pytest

from sigap_routing.delegation.rules import Assignment, add_support, remove_support, transfer
from sigap_routing.errors import problem_for
from sigap_shared.errors import DomainError
from sigap_shared.auth import StaffPrincipal

NOW = datetime(2026, 11, 27, 9, 0, tzinfo=UTC)
KNOWN = {"DPUPR", "DLHK", "PDAM", "DISHUB"}
CITY = StaffPrincipal(username="kota", role="city_admin")


def _assignment(lead: str = "DPUPR", supporting: tuple[str, ...] = ()) -> Assignment:
    return Assignment(complaint_id=uuid.uuid4(), tracking_code="SGP-AAAA-22", lead=lead, supporting=supporting)


def _admin(department: str) -> StaffPrincipal:
    return StaffPrincipal(username=f"admin.{department.lower()}", role="dept_admin", department=department)


@pytest.mark.parametrize(
    ("lead", "actor", "kind"),
    [("DPUPR", _admin("DPUPR"), "bukan_wewenang"), ("TRIAGE", CITY, "triase"), ("DPUPR", CITY, "koreksi")],
)
def test_the_kind_of_transfer_follows_who_moves_it_from_where(lead, actor, kind):
    event = transfer(
        _assignment(lead),
        to_department="PDAM",
        reason="alasan",
        category=None,
        actor=actor,
        known_departments=KNOWN,
        now=NOW,
    )
    assert (event.from_department, event.to_department, event.kind, event.actor) == (lead, "PDAM", kind, actor.username)


@pytest.mark.parametrize(
    ("lead", "actor", "to", "status"),
    [
        ("DPUPR", _admin("DLHK"), "PDAM", 403),
        ("TRIAGE", _admin("DLHK"), "DLHK", 403),
        ("DPUPR", StaffPrincipal(username="a", role="auditor"), "PDAM", 403),
        ("DPUPR", _admin("DPUPR"), "DPUPR", 409),
        ("DPUPR", _admin("DPUPR"), "XYZ", 422),
    ],
)
def test_transfers_that_are_not_allowed(lead, actor, to, status):
    with pytest.raises(DomainError) as caught:
        transfer(
            _assignment(lead),
            to_department=to,
            reason="r",
            category=None,
            actor=actor,
            known_departments=KNOWN,
            now=NOW,
        )
    assert problem_for(caught.value).status == status


def test_transferring_to_a_supporter_makes_it_lead_only():
    event = transfer(
        _assignment("DPUPR", ("DLHK", "DISHUB")),
        to_department="DLHK",
        reason="r",
        category=None,
        actor=_admin("DPUPR"),
        known_departments=KNOWN,
        now=NOW,
    )
    assert event.supporting_departments == ("DISHUB",)


def test_joint_handling_rules():
    assignment = _assignment("DPUPR", ("DLHK",))
    added = add_support(
        assignment, department="DISHUB", reason="r", actor=_admin("DPUPR"), known_departments=KNOWN, now=NOW
    )
    assert added.supporting_departments == ("DLHK", "DISHUB")
    for department, actor, status in [
        ("DLHK", _admin("DPUPR"), 409),
        ("DPUPR", CITY, 409),
        ("PDAM", _admin("DLHK"), 403),
    ]:
        with pytest.raises(DomainError) as caught:
            add_support(assignment, department=department, reason="r", actor=actor, known_departments=KNOWN, now=NOW)
        assert problem_for(caught.value).status == status
    with pytest.raises(DomainError) as caught:
        add_support(_assignment("TRIAGE"), department="DLHK", reason="r", actor=CITY, known_departments=KNOWN, now=NOW)
    assert problem_for(caught.value).status == 409
    assert (
        remove_support(assignment, department="DLHK", reason="r", actor=_admin("DLHK"), now=NOW).supporting_departments
        == ()
    )
    with pytest.raises(DomainError):
        remove_support(assignment, department="DLHK", reason="r", actor=_admin("PDAM"), now=NOW)


def test_every_refusal_in_routing_has_a_problem_in_routings_table() -> None:
    import ast
    from pathlib import Path

    import sigap_routing
    from sigap_routing.errors import PROBLEMS

    raised = {
        node.args[0].value
        for module in Path(sigap_routing.__file__).parent.rglob("*.py")
        for node in ast.walk(ast.parse(module.read_text()))
        if isinstance(node, ast.Call)
        and getattr(node.func, "id", None) == "DomainError"
        and isinstance(node.args[0], ast.Constant)
    }
    assert len(raised) >= 8
    assert raised <= PROBLEMS.keys()
