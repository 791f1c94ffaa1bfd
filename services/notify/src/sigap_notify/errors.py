"""Notify's one table from domain errors to problem responses: the features refuse with a
`NotifyError` code and its text; only here does a code get its HTTP status and title. Routes
never build problems for these: the handler `create_app` registers answers every one."""

from __future__ import annotations

from collections.abc import Sequence

from fastapi import Request
from fastapi.responses import JSONResponse

from sigap_shared.errors import DomainError, Text
from sigap_shared.problems import Problem, problem_response

_DELIVERY_TARGET = Text("Tujuan pengiriman ditolak", "Delivery target refused")

PROBLEMS: dict[str, tuple[int, Text]] = {
    # access: who may read or change what
    "forbidden": (403, Text("Akses ditolak", "Forbidden")),
    # deliveries
    "complaint-not-found": (404, Text("Pengaduan tidak ditemukan", "Complaint not found")),
    # templates
    "invalid-template": (422, Text("Templat tidak valid", "Invalid template")),
    # subscriptions: departments' contacts and webhooks
    "officer-contacts-not-found": (404, Text("Kontak petugas tidak ditemukan", "Officer contacts not found")),
    "escalation-contacts-not-found": (
        404,
        Text("Kontak eskalasi tidak ditemukan", "Escalation contacts not found"),
    ),
    "invalid-webhook-url": (422, Text("URL webhook tidak valid", "Invalid webhook URL")),
    "webhook-not-found": (404, Text("Webhook tidak ditemukan", "Webhook not found")),
    "delivery-target-refused": (422, _DELIVERY_TARGET),
    "host-unresolvable": (422, Text("Nama host tidak dikenal", "Host name does not resolve")),
    # reporter: direct subscriptions
    "follow-up-token-mismatch": (
        403,
        Text("Kode pelacakan atau token tidak cocok", "Tracking code or token does not match"),
    ),
    "too-many-requests": (429, Text("Terlalu banyak percobaan", "Too many attempts")),
    "temporarily-unavailable": (503, Text("Layanan sedang tidak tersedia", "Service temporarily unavailable")),
    "push-not-configured": (404, Text("Notifikasi push belum diaktifkan", "Web push is not configured")),
    "reporter-erased": (409, Text("Data pribadi pelapor sudah dihapus", "The reporter's personal data was erased")),
}


class NotifyError(DomainError):
    """A refusal of notify's. `field` (with `field_message`) names the request field it is
    about; `problems` lists what is wrong in detail; `retry_after_s` says when trying again may
    help."""

    def __init__(
        self,
        code: str,
        message: Text,
        *,
        field: str | None = None,
        field_message: Text | None = None,
        problems: Sequence[str] = (),
        retry_after_s: str | None = None,
    ) -> None:
        super().__init__(code, message)
        self.field = field
        self.field_message = field_message
        self.problems = list(problems)
        self.retry_after_s = retry_after_s


def problem_for(error: DomainError) -> Problem:
    status, title = PROBLEMS[error.code]
    extensions: dict[str, object] = {}
    headers: dict[str, str] = {}
    if isinstance(error, NotifyError):
        if error.problems:
            extensions["errors"] = error.problems
        if error.field is not None:
            extensions["errors"] = [
                {"field": error.field, "in": "body", "message": error.field_message, "code": error.code}
            ]
        if error.retry_after_s is not None:
            headers["Retry-After"] = error.retry_after_s
    return Problem(status=status, slug=error.code, title=title, detail=error.message, headers=headers, **extensions)


async def domain_error_response(request: Request, error: Exception) -> JSONResponse:
    assert isinstance(error, DomainError)
    return problem_response(request, problem_for(error))
