"""The complaint lifecycle as a pure state machine, and the events it produces."""

from __future__ import annotations

from datetime import datetime

from sigap_shared.events import (
    ComplaintRouted,
    ComplaintStatus,
    ComplaintStatusChanged,
    Envelope,
)

SOURCE = "sigap/status"
SYSTEM_ACTOR = "sistem"

# Which states may follow which. `None` is a complaint that routing has not placed yet.
TRANSITIONS: dict[ComplaintStatus | None, frozenset[ComplaintStatus]] = {
    None: frozenset({"diterima"}),
    "diterima": frozenset({"terverifikasi", "ditolak"}),
    "terverifikasi": frozenset({"dalam_proses", "ditolak"}),
    "dalam_proses": frozenset({"selesai"}),
    "selesai": frozenset({"dibuka_kembali"}),
    "dibuka_kembali": frozenset({"dalam_proses"}),
    "ditolak": frozenset(),
}


class IllegalTransition(Exception):
    def __init__(self, current: ComplaintStatus | None, wanted: ComplaintStatus) -> None:
        super().__init__(f"cannot move from {current} to {wanted}")
        self.current = current
        self.wanted = wanted
        self.allowed = sorted(TRANSITIONS.get(current, frozenset()))


def check_transition(current: ComplaintStatus | None, wanted: ComplaintStatus) -> None:
    if wanted not in TRANSITIONS.get(current, frozenset()):
        raise IllegalTransition(current, wanted)


def received_event(routed: Envelope, *, now: datetime) -> Envelope:
    """A newly routed complaint is received (`diterima`) at its department."""
    data = routed.data
    assert isinstance(data, ComplaintRouted)
    check_transition(None, "diterima")
    return Envelope(
        source=SOURCE,
        correlation_id=routed.correlation_id,
        data=ComplaintStatusChanged(
            complaint_id=data.complaint_id,
            tracking_code=data.tracking_code,
            department=data.department,
            previous_status=None,
            status="diterima",
            actor=SYSTEM_ACTOR,
            reporter=data.reporter,
            changed_at=now,
        ),
    )
