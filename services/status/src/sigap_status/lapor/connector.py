"""The boundary to the national SP4N-LAPOR! system: Sigap's own records in the documented
mapping (docs/lapor.md), and the outbound connector fed with them from Sigap's status-changed
events. LAPOR!'s API is documented only to agency developer accounts, so Sigap does not speak
it: a city that has that documentation implements `LaporConnector` for it. Sigap ships a
connector that does nothing and one that appends each update to a JSON Lines file."""

from __future__ import annotations

import asyncio
from collections.abc import Mapping
from datetime import datetime
from pathlib import Path
from typing import Any, Protocol

import orjson
import structlog

from sigap_shared.events import ComplaintStatusChanged, Envelope
from sigap_status.lapor import rules

log = structlog.get_logger(__name__)

MAPPING_VERSION = 1


def _iso(value: datetime | None) -> str | None:
    return value.isoformat() if value is not None else None


def complaint_record(complaint: Mapping[str, Any], policy: rules.LaporPolicy, *, now: datetime) -> dict[str, Any]:
    """One complaint in the export's mapping (docs/lapor.md, "Fields"): what Sigap holds, never
    the reporter's identity (status never has it) nor staff names."""
    stage = rules.stage_of(complaint, policy, now=now)
    return {
        "mapping_version": MAPPING_VERSION,
        "sigap_id": str(complaint["id"]),
        "tracking_code": complaint["tracking_code"],
        "kind": complaint["kind"],
        "category": complaint["category"],
        "title": complaint["title"],
        "description": complaint["description"],
        "kelurahan": complaint["kelurahan"],
        "lat": complaint["lat"],
        "lon": complaint["lon"],
        "privacy": complaint["privacy"],
        "department": complaint["department"],
        "sigap_status": complaint["status"],
        "lapor_stage": stage.stage,
        "lapor_stage_due_at": _iso(stage.due_at),
        "submitted_at": _iso(complaint["submitted_at"]),
        "received_at": _iso(complaint["received_at"]),
        "verified_at": _iso(complaint["verified_at"]),
        "followed_up_at": _iso(complaint["resolved_at"]),
        "follow_up_note": complaint["resolution_note"],
        "closed_at": _iso(complaint["lapor_closed_at"]),
        "postponed_at": _iso(complaint["lapor_postponed_at"]),
        "postpone_reason": complaint["lapor_postpone_reason"],
        "archived_at": _iso(complaint["lapor_archived_at"]),
        "rejection_reason": complaint["rejection_reason"],
        "duplicate_of": str(complaint["duplicate_of"]) if complaint["duplicate_of"] else None,
        "updated_at": _iso(complaint["updated_at"]),
    }


def update_record(envelope: Envelope) -> dict[str, Any] | None:
    """One status change in the connector's mapping (docs/lapor.md, "Updates"), or None for an
    event that says nothing LAPOR! tracks."""
    change = envelope.data
    if not isinstance(change, ComplaintStatusChanged):
        return None
    return {
        "mapping_version": MAPPING_VERSION,
        "event_id": str(envelope.id),
        "sigap_id": str(change.complaint_id),
        "tracking_code": change.tracking_code,
        "department": change.department,
        "sigap_status": change.status,
        "sigap_previous_status": change.previous_status,
        "lapor_stage": rules.stage_for_change(status=change.status, reason=change.reason),
        "reason": change.reason,
        "follow_up_note": change.resolution_note,
        "changed_at": change.changed_at.isoformat(),
    }


class LaporConnector(Protocol):
    """Sends one update to LAPOR!. Called at least once per status change (a redelivered event
    may call it again with the same `event_id`, which a connector uses to skip repeats); a
    raised error sends the event to the dead-letter topic, from which it can be replayed."""

    async def send(self, update: Mapping[str, Any]) -> None: ...


class NoLaporConnector:
    """The default: the city is not connected to LAPOR! (the export still works)."""

    async def send(self, update: Mapping[str, Any]) -> None:
        return None


class FileLaporConnector:
    """Appends each update as one JSON line to `path`, for a city that uploads files or wants
    to see what a real connector would send."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self._lock = asyncio.Lock()

    async def send(self, update: Mapping[str, Any]) -> None:
        line = orjson.dumps(update) + b"\n"
        async with self._lock:
            await asyncio.to_thread(self._append, line)

    def _append(self, line: bytes) -> None:
        with self.path.open("ab") as file:
            file.write(line)


def connector_from(kind: str, path: str | None) -> LaporConnector:
    if kind == "file":
        if not path:
            raise ValueError("SIGAP_LAPOR_CONNECTOR=file needs SIGAP_LAPOR_CONNECTOR_PATH")
        return FileLaporConnector(Path(path))
    return NoLaporConnector()


async def forward_status_change(*, conn: Any, envelope: Envelope, connector: LaporConnector) -> None:
    """The consumer's handler: a status change, in the mapping, to the connector."""
    update = update_record(envelope)
    if update is None:
        return
    await connector.send(update)
    log.info("lapor_update_sent", lapor_stage=update["lapor_stage"])
