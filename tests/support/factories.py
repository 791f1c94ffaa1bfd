"""Builders of valid events with fresh random ids, so tests never collide."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime

from sigap_intake import domain as intake
from sigap_shared.events import ComplaintRouted, ComplaintSubmitted, Envelope, GeoPoint, ReporterRef


def submitted_envelope(*, category: str | None = "jalan_rusak", source: str = "sigap/test") -> Envelope:
    complaint_id = uuid.uuid4()
    return Envelope(
        source=source,
        data=ComplaintSubmitted(
            complaint_id=complaint_id,
            tracking_code="SGP-" + uuid.uuid4().hex[:4].upper() + "-" + uuid.uuid4().hex[:2].upper(),
            kind="pengaduan",
            description="Jalan berlubang di depan SDN Beji 1, sudah sebulan belum diperbaiki",
            category=category,
            location=GeoPoint(lat=-6.3731, lon=106.819),
            privacy="publik",
            reporter=ReporterRef(pseudonym="Pelapor-TEST" + uuid.uuid4().hex[:4].upper(), channels=("email",)),
            submitted_at=datetime.now(UTC),
        ),
    )


def routed_for(submitted: Envelope, department: str, *, kelurahan: str | None = "Beji") -> Envelope:
    """Routing's decision for the complaint `submitted` announced."""
    data = submitted.data
    return Envelope(
        source="sigap/routing",
        data=ComplaintRouted(
            complaint_id=data.complaint_id,
            tracking_code=data.tracking_code,
            department=department,
            category=data.category,
            confidence=0.9,
            needs_triage=False,
            reporter=data.reporter,
            routed_at=datetime.now(UTC),
            kelurahan_name=kelurahan,
        ),
    )


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
