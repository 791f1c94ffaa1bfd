"""Open311's wire format: every resource in `.json` or `.xml` as its extension names, errors
in the specification's own error list (not problem+json), and the parsing of its parameters."""

from __future__ import annotations

import functools
import xml.etree.ElementTree as ET
from collections.abc import Awaitable, Callable, Mapping
from datetime import UTC, datetime
from typing import Any
from uuid import UUID

from fastapi import Request
from fastapi.responses import Response

from sigap_intake.follow_up.rules import CLOSED_STATUSES
from sigap_shared.problems import Text, preferred_language
from sigap_shared.storable import SANE_EARLIEST, SANE_LATEST, within

FORMATS = {"json": "application/json; charset=utf-8", "xml": "text/xml; charset=utf-8"}


_SINGULAR = {"endpoints": "endpoint", "formats": "format", "attributes": "attribute", "values": "value"}


class Open311Error(Exception):
    def __init__(self, status: int, message: Text) -> None:
        super().__init__(message.en)
        self.status = status
        self.message = message


def _xml_value(parent: ET.Element, name: str, value: Any) -> None:
    element = ET.SubElement(parent, name)
    if isinstance(value, Mapping):
        for key, item in value.items():
            _xml_value(element, key, item)
    elif isinstance(value, list | tuple):
        for item in value:
            _xml_value(element, _SINGULAR.get(name, "item"), item)
    elif isinstance(value, bool):
        element.text = "true" if value else "false"
    elif value is not None:
        element.text = str(value)


def render(fmt: str, body: Any, *, root: str, item: str | None = None, status: int = 200) -> Response:
    if fmt == "json":
        import orjson

        return Response(orjson.dumps(body), status_code=status, media_type=FORMATS["json"])
    element = ET.Element(root)
    if item is None:
        for key, value in body.items():
            _xml_value(element, key, value)
    else:
        for entry in body:
            _xml_value(element, item, entry)
    xml = b'<?xml version="1.0" encoding="utf-8"?>' + ET.tostring(element, encoding="utf-8", xml_declaration=False)
    return Response(xml, status_code=status, media_type=FORMATS["xml"])


def error_response(request: Request, fmt: str, error: Open311Error) -> Response:
    body = [{"code": error.status, "description": error.message.pick(preferred_language(request))}]
    return render(fmt if fmt in FORMATS else "json", body, root="errors", item="error", status=error.status)


def checked_format(fmt: str) -> str:
    if fmt not in FORMATS:
        raise Open311Error(400, Text("Format harus json atau xml.", "The format must be json or xml."))
    return fmt


def answers_open311_errors(
    endpoint: Callable[..., Awaitable[Response]],
) -> Callable[..., Awaitable[Response]]:
    """An Open311 route: its `{fmt}` extension is checked before it runs, and an `Open311Error`
    it raises is answered as the specification's error list, in that format (JSON when the
    extension itself is unknown). The route keeps its own signature for FastAPI."""

    @functools.wraps(endpoint)
    async def route(**params: Any) -> Response:
        request: Request = params["request"]
        fmt: str = params["fmt"]
        try:
            params["fmt"] = checked_format(fmt)
            return await endpoint(**params)
        except Open311Error as error:
            return error_response(request, fmt, error)

    return route


def iso(value: datetime | None) -> str | None:
    return value.astimezone(UTC).isoformat().replace("+00:00", "Z") if value else None


def request_view(row: Any, names: Mapping[str, str], public_base: str) -> dict[str, Any]:
    closed = row["status"] in CLOSED_STATUSES
    # Open311 lists publicly listed reports only, whose evidence photos are public (EXIF-free).
    photo_id = row["first_photo_id"]
    return {
        "service_request_id": str(row["id"]),
        "status": "closed" if closed else "open",
        "status_notes": row["resolution_note"] or row["last_note"],
        "service_name": names.get(row["category"] or "", row["category"]),
        "service_code": row["category"],
        "description": row["description"],
        "agency_responsible": row["department"],
        "service_notice": None,
        "requested_datetime": iso(row["submitted_at"]),
        "updated_datetime": iso(row["status_changed_at"] or row["submitted_at"]),
        "expected_datetime": None,
        "address": row["address"],
        "address_id": None,
        "zipcode": None,
        "lat": row["lat"],
        "long": row["lon"],
        "media_url": f"{public_base}/v1/photos/{photo_id}/public" if photo_id else None,
    }


def parse_time(value: str | None, name: str) -> datetime | None:
    """A date parameter, refused like any malformed one (400, GeoReport's error format) when
    outside 1970..2200: clamping would answer a different question than the client asked."""
    if not value:
        return None
    try:
        parsed = datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        raise Open311Error(
            400, Text(f"{name} bukan tanggal W3C/ISO 8601 yang valid.", f"{name} is not a valid W3C/ISO 8601 date.")
        ) from None
    parsed = parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)
    if not within(parsed, earliest=SANE_EARLIEST, latest=SANE_LATEST):
        raise Open311Error(
            400,
            Text(
                f"{name} harus antara {SANE_EARLIEST.year} dan {SANE_LATEST.year}.",
                f"{name} must lie between {SANE_EARLIEST.year} and {SANE_LATEST.year}.",
            ),
        )
    return parsed


def complaint_id_of(service_request_id: str) -> UUID | None:
    """The complaint a service_request_id names; None for anything that is not a complaint id
    (which then matches no request, as an unknown id does)."""
    try:
        return UUID(service_request_id)
    except ValueError:
        return None
