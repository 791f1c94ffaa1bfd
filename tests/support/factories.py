"""Builders of valid events with fresh random ids, so tests never collide."""

from __future__ import annotations

from sigap_intake import domain as intake
from sigap_shared.events import Envelope, GeoPoint
from tests.support import events


def submitted_envelope(*, category: str | None = "jalan_rusak", source: str = "sigap/test") -> Envelope:
    return events.submitted(category=category, source=source)


def routed_for(submitted: Envelope, department: str, *, kelurahan: str | None = "Beji") -> Envelope:
    """Routing's decision for the complaint `submitted` announced."""
    data = submitted.data
    complaint = {"complaint_id": data.complaint_id, "tracking_code": data.tracking_code, "category": data.category}
    return events.routed(**complaint, department=department, reporter=data.reporter, kelurahan_name=kelurahan)


def submit_command(**overrides) -> intake.SubmitComplaint:
    """Intake's command for a public complaint (rubbish at Kukusan, from Andi), with `overrides`."""
    values = {
        "kind": "pengaduan",
        "description": "Sampah menumpuk di TPS Kukusan sudah 5 hari",
        "privacy": "publik",
        "location": GeoPoint(lat=-6.37, lon=106.82),
        "reporter": intake.ReporterContact(name="Andi", phone="081234567890", email="andi@example.com"),
    }
    values.update(overrides)
    return intake.SubmitComplaint(**values)
