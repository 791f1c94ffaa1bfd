"""Events as tests and benchmarks need them, in envelopes: each builder fills every required
field with a plausible Depok value, a fresh complaint id and tracking code and the event's own
time, so a test names only the fields its assertions are about (any field can be overridden
by keyword, the envelope's `source` too)."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta
from typing import Any

from sigap_shared import events
from sigap_shared.events import Envelope, GeoPoint, ReporterRef


def tracking_code() -> str:
    """A fresh code in the shape intake gives out (SGP-XXXX-XX)."""
    return "SGP-" + uuid.uuid4().hex[:4].upper() + "-" + uuid.uuid4().hex[:2].upper()


_DEPT_ADMIN = {"actor": "admin.dinas", "actor_role": "dept_admin"}


def _envelope(source: str, event_type: type, defaults: dict[str, Any], fields: dict[str, Any]) -> Envelope:
    values = {"complaint_id": uuid.uuid4(), "tracking_code": tracking_code(), **defaults, **fields}
    return Envelope(source=source, data=event_type(**values))


def submitted(*, source: str = "sigap/test", **fields: Any) -> Envelope:
    """A public pothole complaint in Beji from a reporter heard by email, as intake announces it."""
    pseudonym = "Pelapor-TEST" + uuid.uuid4().hex[:4].upper()
    defaults = {"kind": "pengaduan", "privacy": "publik", "location": GeoPoint(lat=-6.3731, lon=106.819)}
    description = "Jalan berlubang di depan SDN Beji 1, sudah sebulan belum diperbaiki"
    text = {"category": "jalan_rusak", "description": description}
    when = {"reporter": ReporterRef(pseudonym=pseudonym, channels=("email",)), "submitted_at": datetime.now(UTC)}
    return _envelope(source, events.ComplaintSubmitted, {**defaults, **text, **when}, fields)


def routed(*, source: str = "sigap/routing", **fields: Any) -> Envelope:
    """Routing sent the complaint to a department (DISHUB unless said)."""
    defaults = {"department": "DISHUB", "confidence": 0.9, "needs_triage": False, "routed_at": datetime.now(UTC)}
    return _envelope(source, events.ComplaintRouted, defaults, fields)


def status_changed(*, source: str = "sigap/status", **fields: Any) -> Envelope:
    """A complaint's status changed (to `diterima` by the system unless said)."""
    defaults = {"department": "DISHUB", "status": "diterima", "actor": "sistem", "changed_at": datetime.now(UTC)}
    return _envelope(source, events.ComplaintStatusChanged, defaults, fields)


def assigned(*, source: str = "sigap/status", **fields: Any) -> Envelope:
    """A department admin assigned the complaint to a field officer."""
    defaults = {"department": "DISHUB", "officer": "budi.petugas", "assigned_at": datetime.now(UTC)}
    return _envelope(source, events.ComplaintAssigned, {**defaults, **_DEPT_ADMIN}, fields)


def reporter_message_posted(*, source: str = "sigap/status", **fields: Any) -> Envelope:
    """A department wrote to the reporter."""
    defaults = {"message_id": uuid.uuid4(), "department": "DISHUB", "body": "Mohon kirim foto lokasi yang lebih jelas."}
    when = {"posted_at": datetime.now(UTC)}
    return _envelope(source, events.ComplaintReporterMessagePosted, {**defaults, **when, **_DEPT_ADMIN}, fields)


def transferred(*, source: str = "sigap/routing", **fields: Any) -> Envelope:
    """The lead department handed the complaint to another one as not theirs to handle."""
    defaults = {"from_department": "DISHUB", "to_department": "DPUPR", "kind": "bukan_wewenang"}
    when = {"reason": "Bukan kewenangan kami", "transferred_at": datetime.now(UTC)}
    return _envelope(source, events.ComplaintTransferred, {**defaults, **when, **_DEPT_ADMIN}, fields)


def support_added(*, source: str = "sigap/routing", **fields: Any) -> Envelope:
    """The lead department (DPUPR unless said) asked another (DLHK) to support it."""
    defaults = {"lead_department": "DPUPR", "department": "DLHK", "reason": "Perlu alat berat dari dinas lain"}
    when = {"supporting_departments": (fields.get("department", "DLHK"),), "added_at": datetime.now(UTC)}
    return _envelope(source, events.ComplaintSupportAdded, {**defaults, **when, **_DEPT_ADMIN}, fields)


def support_removed(*, source: str = "sigap/routing", **fields: Any) -> Envelope:
    """The lead department no longer needs the supporting department."""
    defaults = {"lead_department": "DPUPR", "department": "DLHK", "reason": "Perlu alat berat dari dinas lain"}
    when = {"supporting_departments": (), "removed_at": datetime.now(UTC)}
    return _envelope(source, events.ComplaintSupportRemoved, {**defaults, **when, **_DEPT_ADMIN}, fields)


def sla_breached(*, source: str = "sigap/status", **fields: Any) -> Envelope:
    """The complaint missed its SLA target for a stage (finishing, unless said)."""
    now = datetime.now(UTC)
    defaults = {"department": "DISHUB", "status": "terverifikasi", "stage": "finish"}
    when = {"due_at": now - timedelta(hours=1), "breached_at": now}
    return _envelope(source, events.ComplaintSlaBreached, {**defaults, **when}, fields)


def information_added(*, source: str = "sigap/intake", **fields: Any) -> Envelope:
    """The reporter added information to the complaint."""
    defaults = {"text": "Sekarang makin parah", "added_at": datetime.now(UTC)}
    return _envelope(source, events.ComplaintInformationAdded, defaults, fields)


def rated(*, source: str = "sigap/intake", **fields: Any) -> Envelope:
    """The reporter rated the handling (2 of 5 unless said)."""
    defaults = {"rating": 2, "comment": "Perbaikannya hanya sementara", "rated_at": datetime.now(UTC)}
    return _envelope(source, events.ComplaintRated, defaults, fields)


def reopen_requested(*, source: str = "sigap/intake", **fields: Any) -> Envelope:
    """The reporter asked to reopen the finished complaint."""
    defaults = {"reason": "Jalan berlubang lagi setelah hujan", "requested_at": datetime.now(UTC)}
    return _envelope(source, events.ComplaintReopenRequested, defaults, fields)

